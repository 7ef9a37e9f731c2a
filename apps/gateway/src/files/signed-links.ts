import { createHmac, timingSafeEqual } from 'node:crypto';

const EXPIRES = /^\d{1,12}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** The path a signed link opens, which is part of what is signed. */
export const securePath = (fileId: string) => `/api/v1/files/${fileId}/secure`;

/** HMAC-SHA256 over the path, the owner and the expiry (Unix seconds), hex. */
export function signFileLink(secret: string, fileId: string, userId: string, expires: number): string {
  return createHmac('sha256', secret).update(`${securePath(fileId)}\n${userId}\n${expires}`).digest('hex');
}

export type LinkCheck = 'ok' | 'malformed' | 'expired' | 'bad-signature';

/** Checks a link's parameters in constant time; `nowSeconds` for tests. */
export function checkFileLink(secret: string, fileId: string, userId: string, expires: unknown, signature: unknown, nowSeconds = Math.floor(Date.now() / 1000)): LinkCheck {
  if (typeof expires !== 'string' || !EXPIRES.test(expires) || typeof signature !== 'string' || !SIGNATURE.test(signature)) return 'malformed';
  if (Number(expires) < nowSeconds) return 'expired';
  const expected = Buffer.from(signFileLink(secret, fileId, userId, Number(expires)), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? 'ok' : 'bad-signature';
}
