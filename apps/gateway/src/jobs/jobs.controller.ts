import { type BeforeApplicationShutdown, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import {
  AppError,
  type AuthContext,
  type EventsSinceResponse,
  FieldErrorCode,
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
import { AuthContextResolver } from '../auth/auth-context.resolver.js';
import { CurrentUser } from '../auth/auth.decorators.js';
import { ResponseMessage } from '../http/response-message.decorator.js';
import { UuidParam } from '../http/uuid-param.js';
import { JobEventsHub } from './job-events.hub.js';
import { JobEventStream, MAX_RESUME } from './job-event-stream.js';

@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController implements BeforeApplicationShutdown {
  /** How to end each open event stream (`close` below). */
  private readonly streams = new Set<() => void>();

  constructor(
    private readonly nats: NatsClient,
    private readonly hub: JobEventsHub,
    private readonly metrics: MetricsService,
    private readonly accounts: AuthContextResolver,
  ) {}

  /**
   * Ends every open event stream before the HTTP server closes, which waits for every response
   * to end: a stream would hold a rolling update until the pod is killed. Each client reconnects
   * (EventSource after `retry:`, with Last-Event-ID) to another replica and resumes.
   */
  beforeApplicationShutdown(): void {
    for (const close of [...this.streams]) close();
  }

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
  get(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    return this.nats.request(JobsSubjects.get, { user, job_id: jobId }, { requestId: req.id });
  }

  @Post(':job_id/cancel')
  @HttpCode(200)
  @ResponseMessage('Job cancelled successfully')
  @ApiOperation({ summary: 'Cancel a queued or processing job (a batch cancels its children); 409 when already finished' })
  cancel(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    this.hub.forget(jobId);
    return this.nats.request(JobsSubjects.cancel, { user, job_id: jobId }, { requestId: req.id });
  }

  @Post(':job_id/retry')
  @HttpCode(200)
  @ResponseMessage('Job queued again')
  @ApiOperation({ summary: 'Queue a failed or cancelled job again' })
  retry(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<Job> {
    this.hub.forget(jobId);
    return this.nats.request(JobsSubjects.retry, { user, job_id: jobId }, { requestId: req.id });
  }

  @Delete(':job_id')
  @ResponseMessage('Job deleted successfully')
  @ApiOperation({ summary: 'Soft-delete a job; an active job is cancelled first' })
  remove(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<unknown> {
    this.hub.forget(jobId);
    return this.nats.request(JobsSubjects.delete, { user, job_id: jobId }, { requestId: req.id });
  }

  @Get(':job_id/logs')
  @ResponseMessage('Job logs retrieved successfully')
  @ApiOperation({ summary: 'The job\'s log lines, oldest first by default; `level` filter' })
  logs(@Param('job_id', UuidParam) jobId: string, @Query() q: JobLogsQueryDto, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest): Promise<PaginatedResponse<JobLogEntry>> {
    const payload: JobLogsRequest = { user, job_id: jobId, page: q.page, items_per_page: q.items_per_page, level: q.level, sort_order: req.query && (req.query as Record<string, unknown>).sort_order ? q.sort_order : 'asc' };
    return this.nats.request(JobsSubjects.logs, payload, { requestId: req.id });
  }

  @Get(':job_id/events')
  @RawResponse()
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'last-event-id', required: false, description: 'Resume after this event id (the job\'s event sequence number); one beyond the job\'s events starts from its current state; anything but digits is 422' })
  @ApiOperation({ summary: 'Server-Sent Events of one job: status, progress, stage, error; `id:` is the event sequence' })
  async events(@Param('job_id', UuidParam) jobId: string, @CurrentUser() user: AuthContext, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const after = resumePoint(req);
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
    // The client left while the stored events were asked for: the response's 'close' has fired
    // already (`destroyed` says so), and a listener registered now would never run (the hub
    // listener, the heartbeat and the gauge would stay until the job finished). The request's own
    // 'close' is no such sign: it also fires once a request body has been read to its end.
    if (raw.destroyed) {
      stop();
      return;
    }
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
    // Authorised at its start: a change to the account (a role taken away, a suspension) ends the
    // stream, and the client's reconnection is authorised afresh (it resumes from Last-Event-ID).
    const untrack = this.accounts.onAccountChange(user.user_id, () => close());
    const close = () => {
      if (!open) return;
      open = false;
      this.streams.delete(close);
      clients.dec();
      clearInterval(heartbeat);
      untrack();
      stop();
      raw.end();
    };
    function write(chunk: string): void {
      if (open) raw.write(chunk);
    }
    raw.on('close', close);
    this.streams.add(close);
    write('retry: 3000\n\n');
    stream.onTerminal = () => {
      write('event: end\ndata: {}\n\n');
      close();
    };
    stream.start(after === undefined ? [] : since.events, since.current, after);
  }
}

/**
 * Where a stream resumes: after the event named by `Last-Event-ID` (or `?last_event_id=` for a
 * browser's EventSource, which sends no headers), a job's event sequence number; none when absent
 * or empty. Anything but decimal digits is a 422 naming the field; a number beyond the job's
 * events starts the stream from the job's current state (see `JobEventStream.start`).
 */
export function resumePoint(req: FastifyRequest): number | undefined {
  const header = req.headers['last-event-id'];
  const query = (req.query as Record<string, unknown> | undefined)?.last_event_id;
  const [field, value] = header !== undefined ? ['Last-Event-ID', header] : ['last_event_id', query];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    throw AppError.validation([{ field, message: `${field} must be the id of an event received before (a non-negative integer)`, code: FieldErrorCode.INVALID_FORMAT }]);
  }
  return Math.min(Number(value), MAX_RESUME);
}
