import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller.js';
import { VideoJobsController } from './video-jobs.controller.js';

/** Job routes of the API: creation, status, lists, cancellation, live events. */
@Module({ controllers: [VideoJobsController, JobsController] })
export class JobsApiModule {}
