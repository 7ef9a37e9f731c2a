import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError, FieldErrorCode, findNul, NUL_ESCAPE, nulFieldError, SURROGATE_ESCAPE, unstorableError } from '@vgp/contracts';
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
 * Deepest nesting of objects and arrays a JSON body may have. The DTO pipeline (class-transformer,
 * class-validator) recurses once per level, and a few thousand levels overflowed the stack: a 500
 * where the client deserves a 422. The deepest body the API knows is a batch item's
 * `custom_config`, at level 5 of its own.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests objects and arrays deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  // Every level takes two characters: a shorter text cannot be deeper.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * The JSON parser of the gateway: Fastify's own (the same options against prototype poisoning),
 * after a depth check (more than MAX_JSON_DEPTH levels is 422 on `body`) and followed by a NUL
 * check that walks the parsed body only when its text holds the escape `\u0000` (a raw NUL byte
 * is already invalid JSON), so other bodies pay one scan and one `indexOf`. A NUL anywhere in the
 * body is 422 with the path of the field (`configuration.topic`, `tags[1]`). `keepRoutes` (signed
 * third-party deliveries) keep their NULs: their handlers decide.
 */
export function installNulCheckedJsonParser(fastify: FastifyInstance, keepRoutes: ReadonlySet<string> = new Set()): void {
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, raw, done) => {
    const body = raw as string;
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      return done(AppError.validation([{ field: 'body', message: `The body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, code: FieldErrorCode.INVALID_VALUE }]), undefined);
    }
    if ((body.indexOf(NUL_ESCAPE) === -1 && !SURROGATE_ESCAPE.test(body)) || keepRoutes.has(req.routeOptions.url ?? '')) return parse(req, body, done);
    parse(req, body, (err, value) => {
      const nul = err ? null : unstorableError(value, 'body');
      if (nul) return done(nul, undefined);
      done(err, value);
    });
  });
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
