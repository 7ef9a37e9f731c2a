import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { APIResponse } from '@vgp/contracts';
import type { FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { Messaged, RAW_RESPONSE, RESPONSE_MESSAGE } from './response-message.decorator.js';

/** The spec's `APIResponse` envelope of a success. */
export function successEnvelope<T>(data: T, message: string, requestId: string): APIResponse<T> {
  return { status: 'success', message, data, timestamp: new Date().toISOString(), request_id: requestId };
}

/**
 * `JSON.stringify(successEnvelope(data, message, requestId))` for data already serialised
 * (`dataJson`): a cached answer is not serialised again on every request.
 */
export function successEnvelopeJson(dataJson: string, message: string, requestId: string): string {
  return `{"status":"success","message":${JSON.stringify(message)},"data":${dataJson},"timestamp":"${new Date().toISOString()}","request_id":${JSON.stringify(requestId)}}`;
}

/** Wraps what a route returns in the spec's `APIResponse` envelope. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http' || this.reflector.getAllAndOverride<boolean>(RAW_RESPONSE, [ctx.getHandler(), ctx.getClass()])) return next.handle();
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const fallback = this.reflector.get<string>(RESPONSE_MESSAGE, ctx.getHandler()) ?? 'OK';
    return next.handle().pipe(
      map((result): APIResponse<unknown> => (result instanceof Messaged ? successEnvelope(result.data, result.message, req.id) : successEnvelope(result, fallback, req.id))),
    );
  }
}
