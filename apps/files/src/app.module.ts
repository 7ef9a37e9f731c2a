import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { PersistenceModule } from '@vgp/persistence';
import { StorageModule } from '@vgp/storage';
import { SCHEMA } from './data-source.js';
import { FILES_ENTITIES } from './entities.js';
import { FILES_MIGRATIONS } from './migrations/index.js';
import { FilesConfig } from './files.config.js';
import { FilesModule } from './files/files.module.js';

@Module({
  imports: [
    ConfigModule.forRoot(FilesConfig),
    MessagingModule.forRoot(ServiceName.FILES),
    ObservabilityModule.forRoot(ServiceName.FILES),
    PersistenceModule.forRoot({ schema: SCHEMA, entities: FILES_ENTITIES, migrations: FILES_MIGRATIONS }),
    StorageModule.forRoot(),
    FilesModule,
  ],
})
export class AppModule {}
