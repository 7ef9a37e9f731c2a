import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  type CreateBatchRequest,
  type CreateJobRequest,
  type EventsSinceRequest,
  type JobLogsRequest,
  type JobRefRequest,
  type JobStatsRequest,
  type JobStatusRequest,
  JobsSubjects,
  type ListJobsRequest,
  type QuotaRequest,
} from '@vgp/contracts';
import { JobCreationService } from './job-creation.service.js';
import { JobsService } from './jobs.service.js';

/** NATS request handlers of the user-facing side: thin, delegating to the services. */
@Controller()
export class JobsHandler {
  constructor(
    private readonly jobs: JobsService,
    private readonly creation: JobCreationService,
  ) {}

  @MessagePattern(JobsSubjects.create)
  create(@Payload() req: CreateJobRequest) {
    return this.creation.create(req);
  }

  @MessagePattern(JobsSubjects.createBatch)
  createBatch(@Payload() req: CreateBatchRequest) {
    return this.creation.createBatch(req);
  }

  @MessagePattern(JobsSubjects.get)
  get(@Payload() req: JobRefRequest) {
    return this.jobs.get(req.user, req.job_id);
  }

  @MessagePattern(JobsSubjects.status)
  status(@Payload() req: JobStatusRequest) {
    return req.meta ? this.jobs.statusMeta(req.user, req.job_id) : this.jobs.status(req.user, req.job_id);
  }

  @MessagePattern(JobsSubjects.list)
  list(@Payload() req: ListJobsRequest) {
    return this.jobs.list(req.user, req);
  }

  @MessagePattern(JobsSubjects.cancel)
  cancel(@Payload() req: JobRefRequest) {
    return this.jobs.cancel(req.user, req.job_id);
  }

  @MessagePattern(JobsSubjects.retry)
  retry(@Payload() req: JobRefRequest) {
    return this.jobs.retry(req.user, req.job_id);
  }

  @MessagePattern(JobsSubjects.delete)
  remove(@Payload() req: JobRefRequest) {
    return this.jobs.remove(req.user, req.job_id);
  }

  @MessagePattern(JobsSubjects.logs)
  logs(@Payload() req: JobLogsRequest) {
    return this.jobs.logs(req);
  }

  @MessagePattern(JobsSubjects.eventsSince)
  eventsSince(@Payload() req: EventsSinceRequest) {
    return this.jobs.eventsSince(req);
  }

  @MessagePattern(JobsSubjects.quota)
  quota(@Payload() req: QuotaRequest) {
    return this.jobs.quota(req.user);
  }

  @MessagePattern(JobsSubjects.queueStatus)
  queueStatus() {
    return this.jobs.queueStatus();
  }

  @MessagePattern(JobsSubjects.stats)
  stats(@Payload() req: JobStatsRequest | undefined) {
    return this.jobs.stats(req?.window_minutes);
  }
}
