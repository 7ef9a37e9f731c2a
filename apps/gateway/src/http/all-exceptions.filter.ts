import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ExtraErrorCode } from '@vgp/contracts';
import { classify, errorEnvelope } from './error-envelope.js';

const logger = new Logger('Errors');

/** The URL as it may be logged: a token or a link signature in the query (EventSource, signed links) stays out. */
export const loggableUrl = (url: string) => url.replace(/([?&](?:token|signature)=)[^&#]*/g, '$1[redacted]');

/**
 * Answers anything thrown in the spec's envelope (internals never leave; unexpected errors are
 * logged). Shared by the exception filter and the routes served outside Nest's pipeline.
 */
export function replyWithError(req: FastifyRequest, reply: FastifyReply, exception: unknown): void {
  const classified = classify(exception);
  const { internal } = classified;
  let { wire } = classified;
  // No route for this method, but for others: 405 naming them (RFC 9110), not a 404.
  if (wire.code === ExtraErrorCode.ROUTE_NOT_FOUND && req.is404) {
    const allowed = allowedMethods(req);
    if (allowed.length) {
      void reply.header('Allow', allowed.join(', '));
      wire = { code: ExtraErrorCode.METHOD_NOT_ALLOWED, status: 405, message: `${req.method} is not allowed here; allowed: ${allowed.join(', ')}` };
    }
  }
  if (internal) {
    logger.error(`${req.method} ${loggableUrl(req.url)} [${req.id}]: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
  }
  if (reply.sent) return;
  const retryAfter = wire.details?.retry_after;
  if (typeof retryAfter === 'number') void reply.header('Retry-After', String(Math.ceil(retryAfter)));
  void reply.status(wire.status).header('Content-Type', 'application/json; charset=utf-8').send(errorEnvelope(wire, req.id));
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods the router serves at the request's path (OPTIONS is CORS' catch-all, not a route of the API). */
function allowedMethods(req: FastifyRequest): string[] {
  const url = req.url.split('?')[0];
  return METHODS.filter((m) => m !== req.method && req.server.findRoute({ method: m, url }) !== null);
}

/** Every error of the HTTP API leaves in the spec's envelope; internals never do. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    // Probes read Terminus' own report, as on every other service.
    if (exception instanceof HttpException && req.routeOptions?.url?.startsWith('/health/')) {
      void reply.status(exception.getStatus()).send(exception.getResponse());
      return;
    }
    replyWithError(req, reply, exception);
  }
}
