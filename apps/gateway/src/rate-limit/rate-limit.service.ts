import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError, ErrorCode, type RateLimitReserveReply, UserRole, UsersSubjects } from '@vgp/contracts';
import { NatsClient } from '@vgp/messaging';
import { MetricNames, MetricsService } from '@vgp/observability';
import type { Counter } from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthContextResolver } from '../auth/auth-context.resolver.js';
import { TokenVerifier } from '../auth/token-verifier.js';
import { GatewayConfig } from '../gateway.config.js';
import { errorEnvelope } from '../http/error-envelope.js';
import { CLERK_WEBHOOK_ROUTE } from '../users/clerk-webhook.controller.js';
import { type RateDecision, RateLimiter } from './rate-limiter.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
// Limited: the API (Clerk's webhook deliveries with a budget of their own). Not limited: probes, metrics, docs.
const LIMITED = /^\/api\/v1(\/|$)/;
// Media a browser loads without a token (a signed link's video, thumbnail, subtitles or file; a
// public video's stream and thumbnails, for <video>, <img> and <track>): counted per IP against a
// budget of its own, a user's, so a page of thumbnails does not spend the anonymous API limit of
// everyone behind the same address.
const TOKENLESS_MEDIA = /^\/api\/v1\/(?:(?:videos\/jobs|files)\/[^/?]+\/[^?]*\?(?:[^#]*&)?signature=|public\/videos\/[^/?]+\/(?:stream|thumbnail))/;

/**
 * The path the router matched: the route's template (`/api/v1/jobs/:job_id`), or, when no route
 * matched, the request's path as the router reads it (percent-decoded, without an absolute-form
 * `http://host`). The raw `req.url` is not it: `/%61pi/v1/jobs` and `GET http://x/api/v1/jobs`
 * reach `/api/v1/jobs`, and a test of the raw URL left them uncounted.
 */
export function routedPath(req: Pick<FastifyRequest, 'url' | 'routeOptions'>): string {
  const route = req.routeOptions?.url;
  // `*` is @fastify/cors' catch-all OPTIONS route: what is left to it (an OPTIONS without `Origin`)
  // is a 404 of the path asked for. (Preflights are answered before the rate limit runs.)
  if (route && route !== '*') return route;
  let url = req.url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  if (scheme) url = url.slice(scheme[0].length) || '/';
  const q = url.search(/[?#]/);
  const path = q < 0 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The spec's 429 of a request over its caller's limit: when to retry, the limit, and when the window resets. */
export function rateLimitError(d: RateDecision): AppError {
  return new AppError(ErrorCode.RATE_LIMIT_EXCEEDED, 429, 'Too many requests. Please try again later.', {
    retry_after: Math.max(1, Math.ceil((d.resetAt - Date.now()) / 1000)),
    limit: d.limit,
    remaining: 0,
    reset_at: new Date(Math.ceil(d.resetAt / 1000) * 1000).toISOString(),
  });
}

interface Caller {
  key: string;
  limit: number;
}

/**
 * Per-caller request limits at the edge: by user id (limit by role) when the bearer token is
 * valid, by client IP otherwise. Runs as the first `onRequest` hook, before body parsing and
 * routing errors, so every API response carries `X-RateLimit-*` and a refused request costs
 * almost nothing. Counts are shared across replicas through the users service (see RateLimiter).
 */
@Injectable()
export class RateLimitService implements OnModuleInit {
  private readonly logger = new Logger('RateLimit');
  readonly limiter: RateLimiter;
  private lastWarn = 0;
  private readonly refused: Counter<'caller'>;

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly config: GatewayConfig,
    private readonly nats: NatsClient,
    private readonly verifier: TokenVerifier,
    private readonly resolver: AuthContextResolver,
    metrics: MetricsService,
  ) {
    this.refused = metrics.counter(MetricNames.rateLimited, 'Requests refused with 429 by the rate limit, by kind of caller', ['caller']);
    // Reservations of one event-loop turn travel as one message (the users service stores them with one statement).
    this.limiter = new RateLimiter((req) => this.nats.requestBatched<RateLimitReserveReply>(UsersSubjects.reserveRateLimit, req, { timeoutMs: 1000 }), {
      windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
      onStoreError: (err) => {
        if (Date.now() - this.lastWarn < 10_000) return;
        this.lastWarn = Date.now();
        this.logger.warn(`Rate-limit store unavailable, counting per replica: ${err.message}`);
      },
    });
  }

  onModuleInit(): void {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (req, reply, done) => {
      const path = routedPath(req);
      if (!LIMITED.test(path)) return done();
      const caller = this.identify(req);
      const decide = (c: Caller) => {
        const d = this.limiter.consume(c.key, c.limit);
        const finish = (x: RateDecision) => {
          if (this.apply(req, reply, x, c)) done();
        };
        if (d instanceof Promise) d.then(finish, () => done());
        else finish(d);
      };
      if (caller instanceof Promise) caller.then(decide, () => done());
      else decide(caller);
    });
  }

  limitFor(role: UserRole | undefined): number {
    switch (role) {
      case UserRole.ADMIN:
        return this.config.RATE_LIMIT_ADMIN;
      case UserRole.MODERATOR:
        return this.config.RATE_LIMIT_MODERATOR;
      case UserRole.USER:
        return this.config.RATE_LIMIT_USER;
      default:
        return this.config.RATE_LIMIT_ANONYMOUS;
    }
  }

  /**
   * Who is asking, from caches when possible (synchronous); an invalid token counts as anonymous.
   * Deliveries to Clerk's webhook route (the route the router matched, so not `/webhooks/<other>`
   * nor another method) are counted per IP against RATE_LIMIT_WEBHOOK.
   */
  identify(req: FastifyRequest): Caller | Promise<Caller> {
    if (req.routeOptions?.url === CLERK_WEBHOOK_ROUTE) return { key: `webhook:${req.ip}`, limit: this.config.RATE_LIMIT_WEBHOOK };
    const anonymous: Caller = { key: `ip:${req.ip}`, limit: this.config.RATE_LIMIT_ANONYMOUS };
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (!m) return TOKENLESS_MEDIA.test(req.url) ? { key: `media:${req.ip}`, limit: this.config.RATE_LIMIT_USER } : anonymous;
    const claims = this.verifier.peek(m[1]);
    const known = claims && this.resolver.peek(claims.sub);
    if (known) return { key: `u:${known.user_id}`, limit: this.limitFor(known.role) };
    return this.verifier
      .verify(m[1])
      .then((c) => this.resolver.resolve(c, req.id))
      .then(
        (ctx) => ({ key: `u:${ctx.user_id}`, limit: this.limitFor(ctx.role) }),
        () => anonymous,
      );
  }

  /** Sets the headers; answers 429 and returns false when the request is over the limit. */
  private apply(req: FastifyRequest, reply: FastifyReply, d: RateDecision, caller: Caller): boolean {
    const resetSeconds = Math.ceil(d.resetAt / 1000);
    void reply.header('X-RateLimit-Limit', String(d.limit));
    void reply.header('X-RateLimit-Remaining', String(d.remaining));
    void reply.header('X-RateLimit-Reset', String(resetSeconds));
    if (d.allowed) return true;
    this.refused.inc({ caller: caller.key.startsWith('u:') ? 'user' : caller.key.startsWith('webhook:') ? 'webhook' : 'anonymous' });
    const err = rateLimitError(d);
    void reply
      .code(429)
      .header('Retry-After', String(err.details?.retry_after))
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(errorEnvelope(err.toWire(), req.id));
    return false;
  }
}
