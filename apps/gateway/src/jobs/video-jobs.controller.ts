import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AppError,
  type AuthContext,
  type BatchCreatedView,
  CreateBatchDto,
  type CreateBatchRequest,
  type CreateJobRequest,
  CreateVideoJobDto,
  FieldErrorCode,
  type JobCreatedView,
  JobStatus,
  type JobStatusMeta,
  type JobStatusView,
  JobsSubjects,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators.js';
import { Messaged, ResponseMessage } from '../http/response-message.decorator.js';
import { JobEventsHub } from './job-events.hub.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function idempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(raw)) {
    throw AppError.validation([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1-255 visible ASCII characters', code: FieldErrorCode.INVALID_FORMAT }]);
  }
  return raw;
}

@ApiTags('videos')
@ApiBearerAuth()
@Controller('videos')
export class VideoJobsController {
  constructor(
    private readonly nats: NatsClient,
    private readonly hub: JobEventsHub,
  ) {}

  @Post('generate')
  @HttpCode(201)
  @ResponseMessage('Job created successfully')
  @ApiOperation({ summary: 'Queue a video generation job' })
  @ApiHeader({ name: 'idempotency-key', required: false, description: 'Same key and body within 24 h return the original job; a different body is 409' })
  async generate(
    @Body() body: CreateVideoJobDto,
    @CurrentUser() user: AuthContext,
    @Req() req: FastifyRequest,
    @Headers('idempotency-key') rawKey?: string,
  ): Promise<JobCreatedView> {
    if (!user.permissions.can_generate_videos) throw AppError.forbidden('Your account may not generate videos');
    const payload: CreateJobRequest = { user, configuration: body.configuration, priority: body.priority, idempotency_key: idempotencyKey(rawKey) };
    const created = await this.nats.request<JobCreatedView>(JobsSubjects.create, payload, { requestId: req.id });
    // Seed the status cache: the first polls of a new job need no round trip.
    if (created.status === JobStatus.QUEUED && !payload.idempotency_key) {
      this.hub.remember(user.user_id, 0, { job_id: created.job_id, status: created.status, progress: created.progress, created_at: created.created_at, updated_at: created.created_at });
    }
    return created;
  }

  @Post('batch')
  @HttpCode(201)
  @ResponseMessage('Batch created successfully')
  @ApiOperation({ summary: 'Queue 1-50 video jobs as a batch: a parent job and one child per item' })
  @ApiHeader({ name: 'idempotency-key', required: false, description: 'Same key and body within 24 h return the original batch' })
  batch(
    @Body() body: CreateBatchDto,
    @CurrentUser() user: AuthContext,
    @Req() req: FastifyRequest,
    @Headers('idempotency-key') rawKey?: string,
  ): Promise<BatchCreatedView> {
    if (!user.permissions.can_generate_videos) throw AppError.forbidden('Your account may not generate videos');
    const payload: CreateBatchRequest = {
      user,
      jobs: body.jobs.map((j) => ({ configuration: j.configuration, priority: j.priority ?? body.priority })),
      priority: body.priority,
      idempotency_key: idempotencyKey(rawKey),
    };
    return this.nats.request(JobsSubjects.createBatch, payload, { requestId: req.id });
  }

  @Get('jobs/:job_id/status')
  @ApiOperation({ summary: 'Status and progress of a job' })
  async status(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Messaged<JobStatusView>> {
    let view = this.hub.cachedStatus(user, jobId);
    if (!view) {
      const meta = await this.nats.request<JobStatusMeta>(JobsSubjects.status, { user, job_id: jobId, meta: true }, { requestId: req.id });
      this.hub.remember(meta.user_id, meta.seq, meta.view);
      view = meta.view;
    }
    return new Messaged(view, view.status === JobStatus.COMPLETED ? 'Job completed successfully' : 'Job status retrieved');
  }
}
