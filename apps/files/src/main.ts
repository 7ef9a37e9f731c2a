import 'reflect-metadata';
import { ServiceName } from '@vgp/contracts';
import { bootstrapService } from '@vgp/observability';
import { AppModule } from './app.module.js';
import { FilesConfig } from './files.config.js';

await bootstrapService({ module: AppModule, config: FilesConfig, service: ServiceName.FILES });
