import { AppError, ErrorCode, type WireError } from '@vgp/contracts';

/** Header of a message that carries many requests for one subject (a JSON array; the reply is an array too); its value is their count. */
export const BATCH_HEADER = 'vgp-batch';

/** A reply on the wire: `{ d }` on success, `{ e }` on failure. */
export type WireReply<T = unknown> = { d: T; e?: undefined } | { e: WireError; d?: undefined };

/** Reduces anything thrown in a handler to what may cross the wire; internals never do. */
export function toWireError(err: unknown): WireError {
  if (err instanceof AppError) return err.toWire();
  if (AppError.isWire(err)) return { code: err.code, status: err.status, message: err.message, details: err.details, field_errors: err.field_errors };
  return { code: ErrorCode.INTERNAL_ERROR, status: 500, message: 'An unexpected error occurred. Please try again later.' };
}

export function encodeReply(reply: WireReply): string {
  return JSON.stringify(reply);
}
