import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppError, type AuthContext, ErrorCode, type EventsSinceResponse, ExtraErrorCode, isUuid, JobsSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricNames, MetricsService, resolveRequestId } from '@vgp/observability';
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { AuthContextResolver } from '../auth/auth-context.resolver.js';
import { AuthService } from '../auth/auth.service.js';
import { GatewayConfig } from '../gateway.config.js';
import { errorEnvelope } from '../http/error-envelope.js';
import { isWebSocketRequest, targetPath, targetQuery, WEBSOCKET_PATHS } from '../http/upgrade-routing.js';
import { canonicalId } from '../http/uuid-param.js';
import { rateLimitError, RateLimitService } from '../rate-limit/rate-limit.service.js';
import type { RateDecision } from '../rate-limit/rate-limiter.js';
import { JobEventsHub } from './job-events.hub.js';
import { JobEventStream, MAX_RESUME } from './job-event-stream.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const MAX_SUBSCRIPTIONS = 100;
/** Close code of a socket whose user's account changed (4000-4999: the application's own). */
export const ACCOUNT_CHANGED = 4001;
/** Messages of one connection read but not answered yet (they wait for a rate-limit decision). */
const MAX_PENDING = 100;

interface ClientMessage {
  type?: string;
  job_id?: unknown;
  last_event_id?: unknown;
}

/**
 * `GET /ws` (also `/api/v1/ws`): the same job events as SSE over one WebSocket, per-job
 * subscriptions. The token (Authorization header, or `?token=` for browsers) is checked as by the
 * HTTP guard (account status included); the upgrade and every subscribe count against the
 * caller's rate limit, since they do not pass through Fastify's hooks; each subscription is
 * authorised by the jobs service (another user's job answers JOB_NOT_FOUND). Only WebSocket
 * requests to these paths are upgraded; any other request offering an upgrade is served by the
 * routes like any other (see `GatewayIncomingMessage`).
 */
@Injectable()
export class JobsWebSocketServer implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('JobsWebSocket');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private server?: Server;
  // Nothing may escape from here: an exception or a rejected promise in an 'upgrade' listener ends the process.
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      this.upgrade(req, socket, head).catch((err: unknown) => this.failUpgrade(req, socket, err));
    } catch (err) {
      this.failUpgrade(req, socket, err);
    }
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly auth: AuthService,
    private readonly rateLimit: RateLimitService,
    private readonly config: GatewayConfig,
    private readonly nats: NatsClient,
    private readonly hub: JobEventsHub,
    private readonly metrics: MetricsService,
    private readonly accounts: AuthContextResolver,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!this.server) return;
    this.server.on('upgrade', this.onUpgrade);
  }

  /**
   * Closes every socket (1001) before the HTTP server closes, which waits for them: open sockets
   * held a rolling update until the pod was killed. A client that does not answer the close
   * within a second is cut off. Clients reconnect to another replica and resubscribe.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    const open = [...this.wss.clients];
    if (!open.length) return;
    const closed = Promise.all(open.map((c) => new Promise<void>((resolve) => (c.readyState === WebSocket.CLOSED ? resolve() : c.once('close', () => resolve())))));
    for (const c of open) c.close(1001, 'Server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]);
    clearTimeout(timer);
    for (const c of open) if (c.readyState !== WebSocket.CLOSED) c.terminate();
  }

  onApplicationShutdown(): void {
    this.server?.off('upgrade', this.onUpgrade);
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A client that goes away while it is authenticated: an 'error' without a listener would end the process.
    socket.on('error', () => socket.destroy());
    const target = req.url ?? '/';
    if (!isWebSocketRequest(req)) {
      // Only on a server not made by `gatewayServerFactory`: answer and close, never leave the socket hanging.
      if (!WEBSOCKET_PATHS.has(targetPath(target))) return this.refuse(req, socket, new AppError(ExtraErrorCode.ROUTE_NOT_FOUND, 404, 'No route matches this method and path'));
      return this.refuse(req, socket, new AppError(ErrorCode.INVALID_INPUT, 400, 'This path upgrades to a WebSocket only: GET with Upgrade: websocket'));
    }
    let user: AuthContext;
    try {
      const m = BEARER.exec(req.headers.authorization ?? '');
      const token = m?.[1] ?? targetQuery(target).get('token');
      if (!token) throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'Authentication is required');
      user = await this.auth.authenticate(`Bearer ${token}`, 'GET');
      const d = await this.consume(user);
      if (d && !d.allowed) throw rateLimitError(d);
    } catch (err) {
      return this.refuse(req, socket, err instanceof AppError ? err : new AppError(ErrorCode.UNAUTHORIZED, 401, 'Authentication is required'));
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, user));
  }

  private failUpgrade(req: IncomingMessage, socket: Duplex, err: unknown): void {
    this.logger.error(err);
    try {
      this.refuse(req, socket, new AppError(ErrorCode.INTERNAL_ERROR, 500, 'An unexpected error occurred. Please try again later.'));
    } catch {
      socket.destroy();
    }
  }

  /** Answers an upgrade request with an HTTP error in the envelope, then closes the connection. */
  private refuse(req: IncomingMessage, socket: Duplex, err: AppError): void {
    if (socket.destroyed) return;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const id = resolveRequestId(req.headers['x-request-id']);
    const body = JSON.stringify(errorEnvelope(err.toWire(), id));
    const retry = err.details?.retry_after ? `Retry-After: ${err.details.retry_after}\r\n` : '';
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${id}\r\n${retry}Connection: close\r\n\r\n${body}`,
    );
  }

  /** Counts one request of `user` against its rate limit; undefined when limits are off or their store fails (fails open, as the HTTP hook). */
  private async consume(user: AuthContext): Promise<RateDecision | undefined> {
    if (!this.config.RATE_LIMIT_ENABLED) return undefined;
    try {
      return await this.rateLimit.limiter.consume(`u:${user.user_id}`, this.rateLimit.limitFor(user.role));
    } catch {
      return undefined;
    }
  }

  private serve(ws: WebSocket, user: AuthContext): void {
    const gauge = this.metrics.gauge(MetricNames.wsClients, 'Open WebSocket connections');
    gauge.inc();
    const subs = new Map<string, () => void>();
    let open = true;
    const send = (msg: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
    };
    const ping = setInterval(() => ws.ping(), 30_000);
    // Authorised at the upgrade: a change to the account (a role taken away, a suspension, a
    // deletion) closes the socket (4001); the client reconnects, is authorised afresh and
    // resubscribes with each job's last_event_id.
    const untrack = this.accounts.onAccountChange(user.user_id, () => ws.close(ACCOUNT_CHANGED, 'Your account changed: reconnect'));
    // A protocol violation (an oversized or malformed frame, 1009/1002) closes the connection with
    // its code; without a listener its 'error' event ended the gateway process.
    ws.on('error', (err) => this.logger.debug(`WebSocket of ${user.user_id} closed: ${err.message}`));
    ws.on('close', () => {
      open = false;
      clearInterval(ping);
      untrack();
      for (const stop of subs.values()) stop();
      subs.clear();
      gauge.dec();
    });
    // Messages are answered one after the other, in order (a subscribe may wait for its rate-limit
    // decision; an unsubscribe sent after it must not overtake it).
    let queue: Promise<void> = Promise.resolve();
    let pending = 0;
    ws.on('message', (data) => {
      if (pending >= MAX_PENDING) return send({ type: 'error', code: ErrorCode.RATE_LIMIT_EXCEEDED, message: 'Too many messages waiting for an answer; wait for the answers before sending more' });
      pending++;
      queue = queue
        .then(() => (open ? this.onMessage(data, user, subs, send, () => open) : undefined))
        .catch((err: unknown) => this.logger.error(err))
        .finally(() => pending--);
    });
  }

  private async onMessage(data: RawData, user: AuthContext, subs: Map<string, () => void>, send: (m: unknown) => void, isOpen: () => boolean): Promise<void> {
    let msg: ClientMessage;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return send({ type: 'error', code: ExtraErrorCode.MALFORMED_JSON, message: 'Messages must be JSON' });
    }
    if (msg?.type === 'ping') return send({ type: 'pong' });
    if (msg?.type !== 'subscribe' && msg?.type !== 'unsubscribe') {
      return send({ type: 'error', code: ErrorCode.INVALID_INPUT, message: 'type must be subscribe, unsubscribe or ping' });
    }
    // Ids in any case name the same job; events name it in lower case.
    const jobId = typeof msg.job_id === 'string' ? canonicalId(msg.job_id) : msg.job_id;
    if (msg.type === 'subscribe') {
      // Each subscribe costs the jobs service a query (and up to 500 events): it counts as a request.
      const d = await this.consume(user);
      if (!isOpen()) return;
      if (d && !d.allowed) {
        const err = rateLimitError(d);
        return send({ type: 'error', code: err.code, message: err.message, job_id: jobId, details: err.details });
      }
    }
    if (typeof jobId !== 'string' || !isUuid(jobId)) return send({ type: 'error', code: ErrorCode.JOB_NOT_FOUND, message: 'The requested job was not found', job_id: jobId });
    if (msg.type === 'unsubscribe') {
      subs.get(jobId)?.();
      subs.delete(jobId);
      return send({ type: 'unsubscribed', job_id: jobId });
    }
    const after = msg.last_event_id;
    if (after !== undefined && after !== null && !(typeof after === 'number' && Number.isInteger(after) && after >= 0)) {
      return send({ type: 'error', code: ErrorCode.INVALID_INPUT, message: 'last_event_id must be the id of an event received before (a non-negative integer)', job_id: jobId });
    }
    // Subscribing again starts over: from `last_event_id` when given, else from the job's current state.
    subs.get(jobId)?.();
    subs.delete(jobId);
    if (subs.size >= MAX_SUBSCRIPTIONS) return send({ type: 'error', code: ErrorCode.INVALID_INPUT, message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection`, job_id: jobId });
    void this.subscribe(jobId, typeof after === 'number' ? Math.min(after, MAX_RESUME) : undefined, user, subs, send);
  }

  private async subscribe(jobId: string, resume: number | undefined, user: AuthContext, subs: Map<string, () => void>, send: (m: unknown) => void): Promise<void> {
    // A subscription outlives a final status: a retry's events follow it.
    const stream = new JobEventStream(user, (event) => send({ type: 'event', job_id: jobId, event }), false);
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
      const e = err instanceof AppError ? err : new AppError(ErrorCode.INTERNAL_ERROR, 500, 'Could not subscribe');
      if (!(err instanceof AppError)) this.logger.error(err);
      send({ type: 'error', code: e.code, message: e.message, job_id: jobId });
    }
  }
}

/** OpenAPI of `GET /ws` (Nest's document generator sees controllers only). */
export function documentWebSocket(document: OpenAPIObject): void {
  document.paths['/ws'] = {
    get: {
      operationId: 'JobsWebSocket_connect',
      tags: ['jobs'],
      summary: 'Job events over a WebSocket (also at /api/v1/ws): per-job subscriptions',
      description:
        'Upgrade with `Upgrade: websocket`; the token in `Authorization` or `?token=`. Send `{"type":"subscribe","job_id":…,"last_event_id"?:n}`, ' +
        '`{"type":"unsubscribe","job_id":…}` or `{"type":"ping"}`; receive `subscribed`, `event` (`{job_id, event}`: a JobEvent), `unsubscribed`, ' +
        '`error` (`{code, message, job_id?}`) and `pong`. A change to the account closes the socket with 4001.',
      security: [{ bearer: [] }],
      parameters: [{ name: 'token', in: 'query', required: false, description: 'The bearer token, for browsers (which cannot set headers on a WebSocket)', schema: { type: 'string' } }],
      responses: {
        '101': { description: 'Switching Protocols: the WebSocket is open' },
        '401': { description: 'No valid token, in the envelope' },
        '429': { description: 'Rate limit exceeded, in the envelope' },
      },
    },
  };
}
