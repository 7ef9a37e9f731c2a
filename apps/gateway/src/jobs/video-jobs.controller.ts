import { Body, Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError, type AuthContext, type BatchCreatedView, CreateBatchDto, type CreateBatchRequest, JobsSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';
import { idempotencyKey } from './hot-job-routes.js';

/** Batches; creating one job and polling its status are `HotJobRoutes`. */
@ApiTags('videos')
@ApiBearerAuth()
@Controller('videos')
export class VideoJobsController {
  constructor(private readonly nats: NatsClient) {}

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
}
