import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError, findNul, nulFieldError } from '@vgp/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A NUL character in a path or query string: only its percent-encoding gets past Node's HTTP parser. */
const ENCODED_NUL = '%00';

/**
 * 422 naming the query parameter or path parameter that holds a NUL character, or null. The
 * query's keys are its own fields: a NUL in one is named `query`.
 */
export function nulInRequestTarget(query: unknown, params: unknown): AppError | null {
  const inQuery = findNul(query);
  if (inQuery !== null) return AppError.validation([nulFieldError(inQuery.replace(/\[\d+\]$/, '') || 'query')]);
  const inPath = findNul(params);
  if (inPath !== null) return AppError.validation([nulFieldError(inPath === '*' || inPath === '' ? 'path' : inPath)]);
  return null;
}

/**
 * Client text reaches PostgreSQL, which stores no NUL character (U+0000): the gateway refuses one
 * in a JSON body, a query string or a path parameter with 422 VALIDATION_ERROR naming the field
 * (multipart form fields are checked with the upload's other fields). The path and query check
 * runs after the root hooks (request id, rate limit), so the answer carries the rate-limit
 * headers like any other; without `%00` in the URL it is one `indexOf`.
 */
@Injectable()
export class NulInputGuard implements OnApplicationBootstrap {
  constructor(private readonly host: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
      if (req.url.indexOf(ENCODED_NUL) === -1 || req.is404) return done();
      const nul = nulInRequestTarget(req.query, req.params);
      if (nul) return done(nul);
      done();
    });
  }
}
