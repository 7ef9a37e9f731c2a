import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import {
  type AuthContext,
  type EventsSinceResponse,
  type Job,
  type JobListItem,
  type JobLogEntry,
  JobLogsQueryDto,
  type JobLogsRequest,
  JobsSubjects,
  ListJobsQueryDto,
  type ListJobsRequest,
  type PaginatedResponse,
} from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricNames, MetricsService, RawResponse } from '@vgp/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';
import { JobEventsHub } from './job-events.hub.js';
import { JobEventStream } from './job-event-stream.js';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly nats: NatsClient,
    private readonly hub: JobEventsHub,
    private readonly metrics: MetricsService,
  ) {}

  @Get()
  @ResponseMessage('Jobs retrieved successfully')
  @ApiOperation({ summary: 'The caller\'s jobs (admins with can_view_all_jobs: anyone\'s), filtered, sorted, paginated' })
  list(@Query() q: ListJobsQueryDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<PaginatedResponse<JobListItem>> {
    const payload: ListJobsRequest = { ...q, user };
    return this.nats.request(JobsSubjects.list, payload, { requestId: req.id });
  }

  @Get(':job_id')
  @ResponseMessage('Job retrieved successfully')
  @ApiOperation({ summary: 'The full job' })
  get(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    return this.nats.request(JobsSubjects.get, { user, job_id: jobId }, { requestId: req.id });
  }

  @Post(':job_id/cancel')
  @HttpCode(200)
  @ResponseMessage('Job cancelled successfully')
  @ApiOperation({ summary: 'Cancel a queued or processing job (a batch cancels its children); 409 when already finished' })
  cancel(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    this.hub.forget(jobId);
    return this.nats.request(JobsSubjects.cancel, { user, job_id: jobId }, { requestId: req.id });
  }

  @Post(':job_id/retry')
  @HttpCode(200)
  @ResponseMessage('Job queued again')
  @ApiOperation({ summary: 'Queue a failed or cancelled job again' })
  retry(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    this.hub.forget(jobId);
    return this.nats.request(JobsSubjects.retry, { user, job_id: jobId }, { requestId: req.id });
  }

  @Delete(':job_id')
  @ResponseMessage('Job deleted successfully')
  @ApiOperation({ summary: 'Soft-delete a job; an active job is cancelled first' })
  remove(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<unknown> {
    this.hub.forget(jobId);
    return this.nats.request(JobsSubjects.delete, { user, job_id: jobId }, { requestId: req.id });
  }

  @Get(':job_id/logs')
  @ResponseMessage('Job logs retrieved successfully')
  @ApiOperation({ summary: 'The job\'s log lines, oldest first by default; `level` filter' })
  logs(@Param('job_id') jobId: string, @Query() q: JobLogsQueryDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<PaginatedResponse<JobLogEntry>> {
    const payload: JobLogsRequest = { user, job_id: jobId, page: q.page, items_per_page: q.items_per_page, level: q.level, sort_order: req.query && (req.query as Record<string, unknown>).sort_order ? q.sort_order : 'asc' };
    return this.nats.request(JobsSubjects.logs, payload, { requestId: req.id });
  }

  @Get(':job_id/events')
  @RawResponse()
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'last-event-id', required: false, description: 'Resume after this event id (the job\'s event sequence number)' })
  @ApiOperation({ summary: 'Server-Sent Events of one job: status, progress, stage, error; `id:` is the event sequence' })
  async events(@Param('job_id') jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const header = req.headers['last-event-id'] ?? (req.query as Record<string, unknown> | undefined)?.last_event_id;
    const after = typeof header === 'string' && /^\d{1,9}$/.test(header) ? Number(header) : undefined;
    const stream = new JobEventStream(user, (ev) => write(`id: ${ev.seq}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`));
    // Listen before asking for the stored events, so nothing falls between the two.
    const stop = this.hub.listen(jobId, (ev) => stream.push(ev));
    let since: EventsSinceResponse;
    try {
      since = await this.nats.request<EventsSinceResponse>(JobsSubjects.eventsSince, { user, job_id: jobId, after_seq: after ?? 0 }, { requestId: req.id });
    } catch (err) {
      stop();
      throw err;
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    let open = true;
    const clients = this.metrics.gauge(MetricNames.sseClients, 'Open Server-Sent Events streams');
    clients.inc();
    const heartbeat = setInterval(() => write(': keep-alive\n\n'), 15_000);
    const close = () => {
      if (!open) return;
      open = false;
      clients.dec();
      clearInterval(heartbeat);
      stop();
      raw.end();
    };
    function write(chunk: string): void {
      if (open) raw.write(chunk);
    }
    req.raw.on('close', close);
    write('retry: 3000\n\n');
    stream.onTerminal = () => {
      write('event: end\ndata: {}\n\n');
      close();
    };
    stream.start(after === undefined ? [] : since.events, since.current, after);
  }
}
