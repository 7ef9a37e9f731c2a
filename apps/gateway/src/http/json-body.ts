import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { AppError, ExtraErrorCode, FieldErrorCode, NUL_ESCAPE, SURROGATE_ESCAPE, unstorableError, utf16ByteOrder } from '@vgp/contracts';
import type { FastifyInstance } from 'fastify';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);
/** Decoders by the labels clients sent (only labels the WHATWG Encoding Standard knows get one). */
const decoders = new Map<string, TextDecoder>();

const malformed = (message: string) => new AppError(ExtraErrorCode.MALFORMED_JSON, 400, message);

/**
 * The text of a JSON body. JSON travels as UTF-8 (RFC 8259), and that is what a body without a
 * `charset` must be: a byte sequence that is not UTF-8 is 400 MALFORMED_JSON, where decoding would
 * have stored U+FFFD in its place. A UTF-8 byte order mark is dropped; a UTF-16 one decodes the
 * body as UTF-16. A declared `charset` (`latin1`, `windows-1252`, `utf-16le`, any label of the
 * WHATWG Encoding Standard) is honoured, bytes it cannot decode are 400, and a charset nobody
 * knows is 415 UNSUPPORTED_MEDIA_TYPE.
 */
export function jsonText(body: Buffer, contentType: string | undefined): string | AppError {
  const declared = contentType?.match(CHARSET)?.[1].toLowerCase();
  if (declared === undefined || UTF8_LABELS.has(declared)) {
    const utf16 = utf16ByteOrder(body);
    if (utf16) return decode(body, utf16);
    const start = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
    if (!isUtf8(body.subarray(start))) return malformed('The request body is not valid UTF-8 (send UTF-8, or name the charset in Content-Type)');
    return body.toString('utf8', start);
  }
  return decode(body, declared);
}

function decode(body: Buffer, label: string): string | AppError {
  let decoder = decoders.get(label);
  if (!decoder) {
    try {
      // TextDecoder drops a byte order mark of its own encoding.
      decoder = new TextDecoder(label, { fatal: true });
    } catch {
      return new AppError(ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, `The charset "${label.slice(0, 40)}" is not supported; send JSON as UTF-8`);
    }
    decoders.set(label, decoder);
  }
  try {
    return decoder.decode(body);
  } catch {
    return malformed(`The request body is not valid ${decoder.encoding}`);
  }
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
 * on the body's text decoded as its `charset` says (`jsonText`), after a depth check (more than
 * MAX_JSON_DEPTH levels is 422 on `body`) and followed by a NUL check that walks the parsed body
 * only when its text holds the escape `\u0000` (a raw NUL byte is already invalid JSON), so other
 * bodies pay one scan and one `indexOf`. A NUL anywhere in the
 * body is 422 with the path of the field (`configuration.topic`, `tags[1]`). `keepRoutes` (signed
 * third-party deliveries) keep their NULs: their handlers decide.
 */
export function installJsonBodyParser(fastify: FastifyInstance, keepRoutes: ReadonlySet<string> = new Set()): void {
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, raw, done) => {
    const body = jsonText(raw as Buffer, req.headers['content-type']);
    if (typeof body !== 'string') return done(body, undefined);
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
