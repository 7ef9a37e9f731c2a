import { RequestMethod } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { resolveRequestId } from '@vgp/observability';
import fastifyCors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { AppError, CreateVideoJobDto, ExtraErrorCode, ServiceName } from '@vgp/contracts';
import { GatewayConfig } from './gateway.config.js';
import { AllExceptionsFilter, replyWithError } from './http/all-exceptions.filter.js';
import { clientErrorHandler } from './http/client-error.js';
import { EnvelopeInterceptor } from './http/envelope.interceptor.js';
import { installJsonBodyParser } from './http/json-body.js';
import { gatewayServerFactory } from './http/upgrade-routing.js';
import { ApiValidationPipe } from './http/validation.pipe.js';
import { documentHotJobRoutes } from './jobs/hot-job-routes.js';
import { documentWebSocket } from './jobs/jobs-websocket.server.js';
import { CLERK_WEBHOOK_ROUTE } from './users/clerk-webhook.controller.js';

export const API_PREFIX = 'api/v1';

/** The Server-Sent Events route of a job, which also takes its token in the query. */
const EVENTS_ROUTE = `/${API_PREFIX}/jobs/:job_id/events`;

/** `TRUST_PROXY` as Fastify takes it: off, a hop count, or the trusted addresses. */
export function trustProxy(value: string): boolean | string | ((address: string, hop: number) => boolean) {
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.replace(/\s+/g, '');
}

/** Fastify settings of the edge: body limit, request ids kept from sane client headers. */
export function gatewayFastifyOptions(config: GatewayConfig): FastifyServerOptions {
  return {
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: (req) => resolveRequestId(req.headers['x-request-id']),
    requestIdHeader: false,
    trustProxy: trustProxy(config.TRUST_PROXY),
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    // The router's own refusals (a malformed percent-encoding, a path parameter over 200
    // characters) leave in the envelope too, instead of Fastify's body echoing the URL.
    frameworkErrors: (err, req, reply) => {
      void reply.header('X-Request-Id', req.id);
      replyWithError(req, reply, err);
    },
    // What Node's HTTP parser refuses (malformed request line or header, headers over the limit)
    // is answered in the envelope too.
    clientErrorHandler,
    // Only a WebSocket request to /ws is an upgrade (see GatewayIncomingMessage).
    serverFactory: gatewayServerFactory,
  };
}

export const gatewayHttpFilter = () => new AllExceptionsFilter();

/** Request headers a browser frontend may send, and response headers it may read. */
const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'X-Request-Id', 'Range', 'If-Range', 'If-None-Match', 'If-Modified-Since'];
const CORS_EXPOSED_HEADERS = [
  'X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After',
  'Content-Range', 'Content-Disposition', 'Content-Length', 'Accept-Ranges', 'ETag', 'Last-Modified',
];

type CorsHook = (this: FastifyInstance, req: FastifyRequest, reply: FastifyReply, next: (err?: Error) => void) => void;

/**
 * CORS for browser frontends on other origins (`@fastify/cors`): preflights are answered before
 * authentication and rate limits, and every answer to a request with an `Origin`, errors
 * included, carries the headers. A request without one (servers, probes, the hot polling paths of
 * non-browser clients) gets only `Vary: Origin` and does not go through the library.
 *
 * The library's request hook is run by a hook of ours, added before the gateway's other hooks:
 * through `app.enableCors()`, Nest ran it for every request and then copied the response's CORS
 * headers to the Node response (`reply.getHeaders()` and a loop), which cost every request about
 * 8 µs of the gateway's CPU, a fifth of a status poll's, for requests that get no CORS header.
 * The headers a request with an `Origin` gets are still copied to the Node response, so streams
 * written to it (Server-Sent Events) carry them too.
 */
export function enableCors(app: NestFastifyApplication, origins: string[]): void {
  if (!origins.length || origins.includes('false')) return;
  const any = origins.includes('*');
  const listed = new Set(origins);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  let hook: CorsHook | undefined;
  // The library adds its hook, its preflight route (`OPTIONS *`) and a request decorator; the hook is kept.
  const capture = new Proxy(fastify, {
    get: (target, prop) => {
      if (prop === 'addHook') {
        return (name: string, fn: CorsHook) => {
          if (name !== 'onRequest') throw new Error(`@fastify/cors added a ${name} hook`);
          hook = fn;
          return capture;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  fastifyCors(
    capture,
    {
      origin: (origin: string | undefined, cb: (err: Error | null, allow: string | false) => void) =>
        cb(null, origin === undefined ? false : any ? '*' : listed.has(origin) ? origin : false),
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: CORS_ALLOWED_HEADERS,
      exposedHeaders: CORS_EXPOSED_HEADERS,
      maxAge: 600,
      // An OPTIONS with an Origin but no Access-Control-Request-Method is answered as a preflight
      // (204 with the headers): strict mode sent a bare text/plain 400 without the envelope.
      strictPreflight: false,
    },
    (err) => {
      if (err) throw err;
    },
  );
  const corsHook = hook;
  if (!corsHook) throw new Error('@fastify/cors added no request hook');
  fastify.addHook('onRequest', (req, reply, done) => {
    if (req.headers.origin === undefined) {
      void reply.header('vary', 'Origin');
      return done();
    }
    corsHook.call(fastify, req, reply, (err?: Error) => {
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined && (name === 'vary' || name.startsWith('access-control-'))) reply.raw.setHeader(name, value);
      }
      done(err);
    });
  });
}

/** Whether a request carries a body (RFC 9112: a length above zero, or a transfer coding). */
function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** The API's envelope, validation, prefix and OpenAPI document. */
export function configureGateway(app: NestFastifyApplication, config: GatewayConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text/plain body would reach the DTOs as a string.
  fastify.removeContentTypeParser('text/plain');
  // A JSON body is decoded as its charset says; a NUL character (U+0000) in it is 422 naming the
  // field; Clerk's signed events are kept as sent (their handler drops NULs from the text it forwards).
  installJsonBodyParser(fastify, new Set([CLERK_WEBHOOK_ROUTE]));
  // First of the gateway's request hooks: a preflight is answered before anything else runs.
  enableCors(app, config.CORS_ORIGINS);
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header('X-Request-Id', req.id);

    // A browser's EventSource sends no headers: the job events route also takes the token as
    // `?token=` (as /ws does), before the rate limit and the guard read the Authorization header.
    if (req.headers.authorization === undefined && req.routeOptions.url === EVENTS_ROUTE) {
      const token = (req.query as Record<string, unknown> | undefined)?.token;
      if (typeof token === 'string' && token !== '') req.headers.authorization = `Bearer ${token}`;
    }
    done();
  });
  // Bodies are read as sent: a compressed one (gzip, br, ...) was parsed as its compressed bytes (a
  // 400 "not valid UTF-8"), and a plain body labelled gzip was taken as it was. Before any body is
  // read, after the root hooks (request id, rate limit), so the 415 carries their headers.
  fastify.addHook('preParsing', (req, _reply, payload, done) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity' && hasBody(req.headers)) {
      return done(new AppError(ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body uncompressed`));
    }
    done(null, payload);
  });
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(new ApiValidationPipe());
  app.useGlobalInterceptors(new EnvelopeInterceptor(app.get(Reflector)));
  if (config.OPENAPI_ENABLED) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Video generation platform API')
        .setDescription('Every response is the APIResponse envelope: status, message, data or error, timestamp, request_id.')
        .setVersion(config.APP_VERSION)
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
        .build(),
      { extraModels: [CreateVideoJobDto] },
    );
    documentHotJobRoutes(document);
    documentWebSocket(document);
    SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', useGlobalPrefix: false });
  }
}

/** How the gateway app is built, shared by `main` and the tests. */
export const GATEWAY_APP = {
  service: ServiceName.GATEWAY,
  config: GatewayConfig,
  fastify: gatewayFastifyOptions,
  httpFilter: gatewayHttpFilter(),
  bodyParser: false,
  configure: configureGateway,
};
