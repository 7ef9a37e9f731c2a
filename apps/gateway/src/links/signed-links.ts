import { createHmac, timingSafeEqual } from 'node:crypto';

const EXPIRES = /^\d{1,12}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** The path a signed file link opens, which is part of what is signed. */
export const securePath = (fileId: string) => `/api/v1/files/${fileId}/secure`;

/** What a video's signed links open: every media route of its job (download, stream, thumbnails, subtitles). */
export const videoScope = (jobId: string) => `/api/v1/videos/jobs/${jobId}/`;

/** HMAC-SHA256 over what the link opens, whose it is and its expiry (Unix seconds), hex. */
export function signLink(secret: string, scope: string, subject: string, expires: number): string {
  return createHmac('sha256', secret).update(`${scope}\n${subject}\n${expires}`).digest('hex');
}

/** A file's link: its `/secure` path and its owner. */
export const signFileLink = (secret: string, fileId: string, userId: string, expires: number) => signLink(secret, securePath(fileId), userId, expires);

export type LinkCheck = 'ok' | 'malformed' | 'expired' | 'bad-signature';

/**
 * Checks a link's parameters in constant time; `nowSeconds` for tests. The signature first: only
 * a link we made can be told `expired`, so a forged one (`expires=1` and any 64 hex digits) gets
 * the same answer whether its id exists or not, and cannot probe ids.
 */
export function checkLink(secret: string, scope: string, subject: string, expires: unknown, signature: unknown, nowSeconds = Math.floor(Date.now() / 1000)): LinkCheck {
  if (typeof expires !== 'string' || !EXPIRES.test(expires) || typeof signature !== 'string' || !SIGNATURE.test(signature)) return 'malformed';
  const expected = Buffer.from(signLink(secret, scope, subject, Number(expires)), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'bad-signature';
  return Number(expires) < nowSeconds ? 'expired' : 'ok';
}

export const checkFileLink = (secret: string, fileId: string, userId: string, expires: unknown, signature: unknown, nowSeconds?: number) =>
  checkLink(secret, securePath(fileId), userId, expires, signature, nowSeconds);
