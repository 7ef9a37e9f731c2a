import { ErrorCode, type WireError } from '@vgp/contracts';
import { resolveRequestId } from '@vgp/observability';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorEnvelope } from './error-envelope.js';

/** What Node's HTTP parser refused, as the envelope tells it. */
function wireOf(err: NodeJS.ErrnoException): WireError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: ErrorCode.INVALID_INPUT, status: 408, message: 'The request did not arrive in time' };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { code: ErrorCode.INVALID_INPUT, status: 431, message: 'The request headers are larger than allowed' };
  return { code: ErrorCode.INVALID_INPUT, status: 400, message: 'The request is not valid HTTP/1.1' };
}

/**
 * Answers a request that Node's HTTP parser refused before any route saw it (a malformed request
 * line or header, headers over the limit, a body sent without a length, a request too slow to
 * arrive) in the spec's envelope with a request id, where Fastify's default answers its own shape.
 * The connection closes afterwards: what follows on it cannot be trusted to be a request.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const wire = wireOf(err);
    const id = resolveRequestId(undefined);
    const body = JSON.stringify(errorEnvelope(wire, id));
    socket.write(
      `HTTP/1.1 ${wire.status} ${STATUS_CODES[wire.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
