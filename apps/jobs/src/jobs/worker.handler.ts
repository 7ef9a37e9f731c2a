import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type ClaimRequest, type CompleteRequest, type FailRequest, JobsSubjects, type LeaseRef, type ProgressReport } from '@vgp/contracts';
import { SchedulerService } from './scheduler.service.js';

/** NATS request handlers of the render workers' protocol. */
@Controller()
export class WorkerHandler {
  constructor(private readonly scheduler: SchedulerService) {}

  @MessagePattern(JobsSubjects.claim)
  claim(@Payload() req: ClaimRequest) {
    return this.scheduler.claim(req);
  }

  @MessagePattern(JobsSubjects.renew)
  renew(@Payload() req: LeaseRef) {
    return this.scheduler.renew(req);
  }

  @MessagePattern(JobsSubjects.progress)
  progress(@Payload() req: ProgressReport) {
    return this.scheduler.progress(req);
  }

  @MessagePattern(JobsSubjects.complete)
  complete(@Payload() req: CompleteRequest) {
    return this.scheduler.complete(req);
  }

  @MessagePattern(JobsSubjects.fail)
  fail(@Payload() req: FailRequest) {
    return this.scheduler.fail(req);
  }

  @MessagePattern(JobsSubjects.release)
  release(@Payload() req: LeaseRef) {
    return this.scheduler.release(req);
  }
}
