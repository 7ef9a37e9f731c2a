import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BatchProgressService } from './batch-progress.service.js';
import { EstimatesService } from './estimates.service.js';
import { JobCreationService } from './job-creation.service.js';
import { JobEntity } from './job.entity.js';
import { JobEventsRecorder } from './job-events.recorder.js';
import { JobsDb } from './jobs.db.js';
import { JobsHandler } from './jobs.handler.js';
import { JobsMetrics } from './jobs.metrics.js';
import { JobsService } from './jobs.service.js';
import { ListCountCache } from './list-count.cache.js';
import { SchedulerService } from './scheduler.service.js';
import { WorkerHandler } from './worker.handler.js';

@Module({
  imports: [TypeOrmModule.forFeature([JobEntity])],
  controllers: [JobsHandler, WorkerHandler],
  providers: [JobsDb, ListCountCache, JobEventsRecorder, EstimatesService, BatchProgressService, JobsMetrics, JobCreationService, JobsService, SchedulerService],
  exports: [JobsService, SchedulerService],
})
export class JobsModule {}
