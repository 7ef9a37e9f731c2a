import 'reflect-metadata';
import { ServiceName } from '@vgp/contracts';
import { bootstrapService } from '@vgp/observability';
import { AppModule } from './app.module.js';
import { RenderWorkerConfig } from './render-worker.config.js';

await bootstrapService({ module: AppModule, config: RenderWorkerConfig, service: ServiceName.RENDER_WORKER });
