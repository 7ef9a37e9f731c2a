import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { StorageModule } from '@vgp/storage';
import { RenderWorkerConfig } from './render-worker.config.js';

@Module({
  imports: [
    ConfigModule.forRoot(RenderWorkerConfig),
    MessagingModule.forRoot(ServiceName.RENDER_WORKER),
    ObservabilityModule.forRoot(ServiceName.RENDER_WORKER),
    StorageModule.forRoot(),
  ],
})
export class AppModule {}
