import 'reflect-metadata';
import { ServiceName } from '@vgp/contracts';
import { bootstrapService } from '@vgp/observability';
import { AppModule } from './app.module.js';
import { VideosConfig } from './videos.config.js';

await bootstrapService({ module: AppModule, config: VideosConfig, service: ServiceName.VIDEOS });
