import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext, JobsSubjects, type QueueStatusView, type QuotaView } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import type { FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class QuotaController {
  constructor(private readonly nats: NatsClient) {}

  @Get('quota')
  @ResponseMessage('Quota retrieved successfully')
  @ApiOperation({ summary: 'Job limits and current use: active jobs, jobs today, when the day resets (UTC)' })
  quota(@CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<QuotaView> {
    return this.nats.request(JobsSubjects.quota, { user }, { requestId: req.id });
  }
}

@ApiTags('system')
@ApiBearerAuth()
@Controller('system')
export class QueueStatusController {
  constructor(private readonly nats: NatsClient) {}

  @Get('queue-status')
  @ResponseMessage('Queue status retrieved successfully')
  @ApiOperation({ summary: 'Queue length by priority, running jobs, expected wait' })
  queueStatus(@Req() req: FastifyRequest): Promise<QueueStatusView> {
    return this.nats.request(JobsSubjects.queueStatus, {}, { requestId: req.id });
  }
}
