import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext, type Job, JobsSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController {
  constructor(private readonly nats: NatsClient) {}

  @Get(':job_id')
  @ResponseMessage('Job retrieved successfully')
  @ApiOperation({ summary: 'The full job' })
  get(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    return this.nats.request(JobsSubjects.get, { user, job_id: jobId }, { requestId: req.id });
  }
}
