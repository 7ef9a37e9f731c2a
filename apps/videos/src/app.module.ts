import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { PersistenceModule } from '@vgp/persistence';
import { StorageModule } from '@vgp/storage';
import { SCHEMA } from './data-source.js';
import { VIDEOS_ENTITIES } from './entities.js';
import { VIDEOS_MIGRATIONS } from './migrations/index.js';
import { VideosConfig } from './videos.config.js';
import { VideosModule } from './videos/videos.module.js';

@Module({
  imports: [
    ConfigModule.forRoot(VideosConfig),
    MessagingModule.forRoot(ServiceName.VIDEOS),
    ObservabilityModule.forRoot(ServiceName.VIDEOS),
    PersistenceModule.forRoot({ schema: SCHEMA, entities: VIDEOS_ENTITIES, migrations: VIDEOS_MIGRATIONS }),
    StorageModule.forRoot(),
    VideosModule,
  ],
})
export class AppModule {}
