import { Module } from '@nestjs/common';
import { ConfigModule } from '@vgp/config';
import { ServiceName } from '@vgp/contracts';
import { MessagingModule } from '@vgp/messaging';
import { ObservabilityModule } from '@vgp/observability';
import { PersistenceModule } from '@vgp/persistence';
import { SCHEMA } from './data-source.js';
import { JobsConfig } from './jobs.config.js';
import { JOBS_ENTITIES } from './entities.js';
import { JobsModule } from './jobs/jobs.module.js';
import { JOBS_MIGRATIONS } from './migrations/index.js';

@Module({
  imports: [
    ConfigModule.forRoot(JobsConfig),
    MessagingModule.forRoot(ServiceName.JOBS),
    ObservabilityModule.forRoot(ServiceName.JOBS),
    PersistenceModule.forRoot({ schema: SCHEMA, entities: JOBS_ENTITIES, migrations: JOBS_MIGRATIONS }),
    JobsModule,
  ],
})
export class AppModule {}
