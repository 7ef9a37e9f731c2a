import { ErrorCode } from '@vgp/contracts';
import { resolveRequestId } from '@vgp/observability';
import { createServer, IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { errorEnvelope } from './error-envelope.js';
import type { FastifyServerOptions } from 'fastify';

/** Where the WebSocket of job events is served. */
export const WEBSOCKET_PATHS: ReadonlySet<string> = new Set(['/ws', '/api/v1/ws']);

/** The path of a request target without its query and one trailing slash; never throws (`new URL` does, on `//`). */
export function targetPath(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The query of a request target; never throws. */
export function targetQuery(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** A request for the WebSocket: `GET /ws` (or `/api/v1/ws`) with `Upgrade: websocket`. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (
    req.method === 'GET' &&
    typeof req.url === 'string' &&
    WEBSOCKET_PATHS.has(targetPath(req.url)) &&
    typeof req.headers.upgrade === 'string' &&
    req.headers.upgrade.trim().toLowerCase() === 'websocket'
  );
}

const UPGRADE_ASKED = Symbol('upgrade asked');

/**
 * The gateway's requests: only a WebSocket request is an upgrade. Node's HTTP server (20, 22)
 * hands every request carrying `Connection: Upgrade` to the 'upgrade' listeners as soon as one
 * exists, whatever its path, and takes its socket away from HTTP: `curl --http2` (which offers
 * `Upgrade: h2c` on every request) or a proxy passing a handshake for another path hung forever,
 * and a target such as `//` reached the listener. Node decides with the request's `upgrade`,
 * which its parser sets: here it reads true only for `isWebSocketRequest`, so every other request
 * is served by the routes as an ordinary one, the offer ignored, as by a server that speaks
 * neither protocol. (`CONNECT` stays Node's to decide.)
 */
export class GatewayIncomingMessage extends IncomingMessage {}
// An accessor on the prototype: Node's parser assigns `upgrade` on every request.
Object.defineProperty(GatewayIncomingMessage.prototype, 'upgrade', {
  configurable: true,
  enumerable: true,
  get(this: IncomingMessage & { [UPGRADE_ASKED]?: unknown }): boolean {
    if (this[UPGRADE_ASKED] !== true) return false;
    if (this.method === 'CONNECT') return true;
    try {
      return isWebSocketRequest(this);
    } catch {
      return false;
    }
  },
  set(this: { [UPGRADE_ASKED]?: unknown }, value: unknown) {
    this[UPGRADE_ASKED] = value;
  },
});

/**
 * An HTTP/1.1 request without `Host` (RFC 9112 §3.2: a server must answer 400), answered in the
 * spec's envelope with a request id, before any route or hook sees it, and the connection closed.
 */
function refuseWithoutHost(res: ServerResponse): void {
  const id = resolveRequestId(undefined);
  const body = JSON.stringify(errorEnvelope({ code: ErrorCode.INVALID_INPUT, status: 400, message: 'An HTTP/1.1 request must carry a Host header' }, id));
  res.writeHead(400, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Request-Id': id, Connection: 'close' });
  res.end(body);
}

/**
 * Fastify's `serverFactory`: the HTTP/1.1 server Fastify would make (the same timeouts), with
 * `GatewayIncomingMessage` as its requests (Node's `IncomingMessage` option).
 */
export function gatewayServerFactory(handler: RequestListener, opts: FastifyServerOptions): Server {
  // Node's own refusal of an HTTP/1.1 request without Host was a bare 400 with an empty body.
  const server = createServer({ IncomingMessage: GatewayIncomingMessage, requireHostHeader: false }, (req, res) =>
    req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1 ? refuseWithoutHost(res) : handler(req, res),
  );
  server.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000;
  server.requestTimeout = opts.requestTimeout ?? 0;
  server.setTimeout(opts.connectionTimeout ?? 0);
  if ((opts.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket ?? null;
  return server;
}
