import { randomUUID } from 'node:crypto';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Keeps a client's `X-Request-Id` when it is sane, otherwise makes one. */
export function resolveRequestId(incoming: unknown): string {
  if (typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming)) return incoming;
  return `req_${randomUUID().replace(/-/g, '')}`;
}
