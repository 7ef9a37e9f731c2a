import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AppError,
  type AuthContext,
  type CreateJobRequest,
  CreateVideoJobDto,
  type JobCreatedView,
  JobStatus,
  type JobStatusView,
  JobsSubjects,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators.js';
import { Messaged, ResponseMessage } from '../http/response-message.decorator.js';

@ApiTags('videos')
@ApiBearerAuth()
@Controller('videos')
export class VideoJobsController {
  constructor(private readonly nats: NatsClient) {}

  @Post('generate')
  @HttpCode(201)
  @ResponseMessage('Job created successfully')
  @ApiOperation({ summary: 'Queue a video generation job' })
  @ApiHeader({ name: 'idempotency-key', required: false, description: 'Same key and body within 24 h return the original job' })
  generate(
    @Body() body: CreateVideoJobDto,
    @CurrentUser() user: AuthContext,
    @Req() req: FastifyRequest,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<JobCreatedView> {
    if (!user.permissions.can_generate_videos) throw AppError.forbidden('Your account may not generate videos');
    const payload: CreateJobRequest = { user, configuration: body.configuration, priority: body.priority, idempotency_key: idempotencyKey };
    return this.nats.request(JobsSubjects.create, payload, { requestId: req.id });
  }

  @Get('jobs/:job_id/status')
  @ApiOperation({ summary: 'Status and progress of a job' })
  async status(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Messaged<JobStatusView>> {
    const view = await this.nats.request<JobStatusView>(JobsSubjects.status, { user, job_id: jobId }, { requestId: req.id });
    return new Messaged(view, view.status === JobStatus.COMPLETED ? 'Job completed successfully' : 'Job status retrieved');
  }
}
