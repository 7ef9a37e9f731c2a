import 'reflect-metadata';
import { ServiceName } from '@vgp/contracts';
import { bootstrapService } from '@vgp/observability';
import { AppModule } from './app.module.js';
import { JobsConfig } from './jobs.config.js';

await bootstrapService({ module: AppModule, config: JobsConfig, service: ServiceName.JOBS });
