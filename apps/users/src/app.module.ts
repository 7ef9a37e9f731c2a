import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { PersistenceModule } from '@vgp/persistence';
import { SCHEMA } from './data-source.js';
import { USERS_ENTITIES } from './entities.js';
import { USERS_MIGRATIONS } from './migrations/index.js';
import { UsersConfig } from './users.config.js';
import { UsersModule } from './users/users.module.js';

@Module({
  imports: [
    ConfigModule.forRoot(UsersConfig),
    MessagingModule.forRoot(ServiceName.USERS),
    ObservabilityModule.forRoot(ServiceName.USERS),
    PersistenceModule.forRoot({ schema: SCHEMA, entities: USERS_ENTITIES, migrations: USERS_MIGRATIONS }),
    UsersModule,
  ],
})
export class AppModule {}
