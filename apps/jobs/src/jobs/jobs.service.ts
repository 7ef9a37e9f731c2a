import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  AppError,
  type AuthContext,
  type CreateJobRequest,
  ErrorCode,
  type Job,
  type JobCreatedView,
  JobStatus,
  type JobStatusView,
  JobType,
  PRIORITY_RANK,
} from '@vgp/contracts';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { JobsConfig } from '../jobs.config.js';
import { JobEntity } from './job.entity.js';
import { toCreatedView, toJob, toStatusView } from './job.mapper.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class JobsService {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly config: JobsConfig,
  ) {}

  /** Inserts a queued job; once this resolves the job is durable. */
  async create(req: CreateJobRequest): Promise<JobCreatedView> {
    const now = new Date();
    const job = this.jobs.create({
      id: randomUUID(),
      userId: req.user.user_id,
      jobType: JobType.VIDEO_GENERATION,
      priority: req.priority,
      priorityRank: PRIORITY_RANK[req.priority],
      configuration: req.configuration,
      status: JobStatus.QUEUED,
      progress: { percentage: 0, current_stage: null, stages_completed: [], estimated_completion: null },
      error: null,
      result: null,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      completedAt: null,
      batchId: null,
      parentJobId: null,
      isDeleted: false,
      deletedAt: null,
      retryCount: 0,
      maxRetries: this.config.JOB_MAX_RETRIES,
      runAfter: now,
      leaseToken: null,
      leaseExpiresAt: null,
      workerId: null,
      cancelRequested: false,
      idempotencyKey: req.idempotency_key ?? null,
      requestHash: null,
    });
    await this.jobs.insert(job);
    return toCreatedView(job);
  }

  async get(user: AuthContext, jobId: string): Promise<Job> {
    return toJob(await this.findVisible(user, jobId));
  }

  async status(user: AuthContext, jobId: string): Promise<JobStatusView> {
    return toStatusView(await this.findVisible(user, jobId));
  }

  /** The job if the caller may see it; another user's job answers exactly like a missing one. */
  private async findVisible(user: AuthContext, jobId: string): Promise<JobEntity> {
    const notFound = AppError.notFound(ErrorCode.JOB_NOT_FOUND, 'job', { job_id: jobId });
    if (typeof jobId !== 'string' || !UUID.test(jobId)) throw notFound;
    const job = await this.jobs.findOneBy({ id: jobId, isDeleted: false });
    if (!job || (job.userId !== user.user_id && !user.permissions.can_view_all_jobs)) throw notFound;
    return job;
  }
}
