import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError, type AuthContext, type EventsSinceResponse, JobsSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricNames, MetricsService } from '@vgp/observability';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { AuthService } from '../auth/auth.service.js';
import { GatewayConfig } from '../gateway.config.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { JobEventsHub } from './job-events.hub.js';
import { JobEventStream } from './job-event-stream.js';

const PATHS = new Set(['/ws', '/api/v1/ws']);
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const MAX_SUBSCRIPTIONS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ClientMessage {
  type?: string;
  job_id?: string;
  last_event_id?: number;
}

/**
 * `GET /ws` (also `/api/v1/ws`): the same job events as SSE over one WebSocket, per-job
 * subscriptions. The token (Authorization header, or `?token=` for browsers) is checked as by the
 * HTTP guard (account status included) and the upgrade counts against the caller's rate limit,
 * since it does not pass through Fastify's hooks; each subscription is authorised by the jobs
 * service (another user's job answers JOB_NOT_FOUND).
 */
@Injectable()
export class JobsWebSocketServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JobsWebSocket');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private server?: Server;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly rateLimit: RateLimitService,
    private readonly config: GatewayConfig,
    private readonly nats: NatsClient,
    private readonly hub: JobEventsHub,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    this.server?.on('upgrade', this.onUpgrade);
  }

  onApplicationShutdown(): void {
    this.server?.off('upgrade', this.onUpgrade);
    for (const c of this.wss.clients) c.close(1001, 'Server shutting down');
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!PATHS.has(url.pathname.replace(/\/$/, ''))) return;
    // A client that goes away while it is authenticated: an 'error' without a listener would end the process.
    socket.on('error', () => socket.destroy());
    let user: AuthContext;
    try {
      const m = BEARER.exec(req.headers.authorization ?? '');
      const token = m?.[1] ?? url.searchParams.get('token');
      if (!token) throw new AppError('UNAUTHORIZED', 401, 'Authentication is required');
      user = await this.auth.authenticate(`Bearer ${token}`, 'GET');
      if (this.config.RATE_LIMIT_ENABLED) {
        const d = await this.rateLimit.limiter.consume(`u:${user.user_id}`, this.rateLimit.limitFor(user.role));
        if (!d.allowed) {
          const retryAfter = Math.max(1, Math.ceil((d.resetAt - Date.now()) / 1000));
          throw new AppError('RATE_LIMIT_EXCEEDED', 429, 'Too many requests', { retry_after: retryAfter });
        }
      }
    } catch (err) {
      const status = err instanceof AppError ? err.status : 401;
      const reason: Record<number, string> = { 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' };
      const retry = err instanceof AppError && err.details?.retry_after ? `Retry-After: ${err.details.retry_after}\r\n` : '';
      socket.end(`HTTP/1.1 ${status} ${reason[status] ?? 'Unauthorized'}\r\n${retry}Connection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, user));
  }

  private serve(ws: WebSocket, user: AuthContext): void {
    const gauge = this.metrics.gauge(MetricNames.wsClients, 'Open WebSocket connections');
    gauge.inc();
    const subs = new Map<string, () => void>();
    const send = (msg: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    };
    const ping = setInterval(() => ws.ping(), 30_000);
    // A protocol violation (an oversized or malformed frame, 1009/1002) closes the connection with
    // its code; without a listener its 'error' event ended the gateway process.
    ws.on('error', (err) => this.logger.debug(`WebSocket of ${user.user_id} closed: ${err.message}`));
    ws.on('close', () => {
      clearInterval(ping);
      for (const stop of subs.values()) stop();
      subs.clear();
      gauge.dec();
    });
    ws.on('message', (data) => {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return send({ type: 'error', code: 'MALFORMED_JSON', message: 'Messages must be JSON' });
      }
      if (msg?.type === 'ping') return send({ type: 'pong' });
      if (msg?.type !== 'subscribe' && msg?.type !== 'unsubscribe') {
        return send({ type: 'error', code: 'INVALID_INPUT', message: 'type must be subscribe, unsubscribe or ping' });
      }
      const jobId = msg.job_id;
      if (typeof jobId !== 'string' || !UUID.test(jobId)) return send({ type: 'error', code: 'JOB_NOT_FOUND', message: 'The requested job was not found', job_id: jobId });
      if (msg.type === 'unsubscribe') {
        subs.get(jobId)?.();
        subs.delete(jobId);
        return send({ type: 'unsubscribed', job_id: jobId });
      }
      if (subs.has(jobId)) return send({ type: 'subscribed', job_id: jobId });
      if (subs.size >= MAX_SUBSCRIPTIONS) return send({ type: 'error', code: 'INVALID_INPUT', message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection`, job_id: jobId });
      void this.subscribe(jobId, msg.last_event_id, user, subs, send);
    });
  }

  private async subscribe(jobId: string, after: unknown, user: AuthContext, subs: Map<string, () => void>, send: (m: unknown) => void): Promise<void> {
    const resume = typeof after === 'number' && Number.isInteger(after) && after >= 0 ? after : undefined;
    const stream = new JobEventStream(user, (event) => send({ type: 'event', job_id: jobId, event }));
    const stop = this.hub.listen(jobId, (ev) => stream.push(ev));
    subs.set(jobId, stop);
    try {
      const since = await this.nats.request<EventsSinceResponse>(JobsSubjects.eventsSince, { user, job_id: jobId, after_seq: resume ?? 0 });
      if (subs.get(jobId) !== stop) return;
      send({ type: 'subscribed', job_id: jobId });
      stream.start(resume === undefined ? [] : since.events, since.current, resume);
    } catch (err) {
      stop();
      if (subs.get(jobId) === stop) subs.delete(jobId);
      const e = err instanceof AppError ? err : new AppError('INTERNAL_ERROR', 500, 'Could not subscribe');
      if (!(err instanceof AppError)) this.logger.error(err);
      send({ type: 'error', code: e.code, message: e.message, job_id: jobId });
    }
  }
}
