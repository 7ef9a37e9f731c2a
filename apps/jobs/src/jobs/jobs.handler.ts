import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type CreateJobRequest, type JobRefRequest, JobsSubjects } from '@vgp/contracts';
import { JobsService } from './jobs.service.js';

/** NATS request handlers: thin, delegating to the service. */
@Controller()
export class JobsHandler {
  constructor(private readonly jobs: JobsService) {}

  @MessagePattern(JobsSubjects.create)
  create(@Payload() req: CreateJobRequest) {
    return this.jobs.create(req);
  }

  @MessagePattern(JobsSubjects.get)
  get(@Payload() req: JobRefRequest) {
    return this.jobs.get(req.user, req.job_id);
  }

  @MessagePattern(JobsSubjects.status)
  status(@Payload() req: JobRefRequest) {
    return this.jobs.status(req.user, req.job_id);
  }
}
