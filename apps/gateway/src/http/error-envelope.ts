import { HttpException, HttpStatus } from '@nestjs/common';
import { AppError, type APIResponse, ErrorCode, ExtraErrorCode, type WireError } from '@vgp/contracts';

/** Short headline (`message` of the envelope) for an error code. */
const HEADLINES: Record<string, string> = {
  [ErrorCode.VALIDATION_ERROR]: 'Validation failed',
  [ErrorCode.INVALID_INPUT]: 'Invalid input',
  [ErrorCode.UNAUTHORIZED]: 'Unauthorized',
  [ErrorCode.TOKEN_EXPIRED]: 'Token expired',
  [ErrorCode.FORBIDDEN]: 'Forbidden',
  [ErrorCode.NOT_FOUND]: 'Not found',
  [ErrorCode.CONFLICT]: 'Conflict',
  [ErrorCode.RATE_LIMIT_EXCEEDED]: 'Rate limit exceeded',
  [ErrorCode.QUOTA_EXCEEDED]: 'Quota exceeded',
  [ErrorCode.INTERNAL_ERROR]: 'Internal server error',
  [ErrorCode.SERVICE_UNAVAILABLE]: 'Service unavailable',
  [ErrorCode.JOB_NOT_FOUND]: 'Job not found',
  [ErrorCode.JOB_ALREADY_COMPLETED]: 'Job already completed',
  [ErrorCode.JOB_CANNOT_BE_CANCELLED]: 'Job cannot be cancelled',
  [ErrorCode.VIDEO_NOT_READY]: 'Video not ready',
  [ErrorCode.FILE_TOO_LARGE]: 'File too large',
  [ErrorCode.UNSUPPORTED_FILE_TYPE]: 'Unsupported file type',
  [ExtraErrorCode.VIDEO_NOT_FOUND]: 'Video not found',
  [ExtraErrorCode.FILE_NOT_FOUND]: 'File not found',
  [ExtraErrorCode.USER_NOT_FOUND]: 'User not found',
  [ExtraErrorCode.ROUTE_NOT_FOUND]: 'Route not found',
  [ExtraErrorCode.METHOD_NOT_ALLOWED]: 'Method not allowed',
  [ExtraErrorCode.PAYLOAD_TOO_LARGE]: 'Payload too large',
  [ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported media type',
  [ExtraErrorCode.MALFORMED_JSON]: 'Malformed JSON',
  [ExtraErrorCode.RANGE_NOT_SATISFIABLE]: 'Range not satisfiable',
};

const STATUS_CODES: Record<number, string> = {
  400: ErrorCode.INVALID_INPUT,
  401: ErrorCode.UNAUTHORIZED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ExtraErrorCode.METHOD_NOT_ALLOWED,
  409: ErrorCode.CONFLICT,
  413: ExtraErrorCode.PAYLOAD_TOO_LARGE,
  415: ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE,
  416: ExtraErrorCode.RANGE_NOT_SATISFIABLE,
  422: ErrorCode.VALIDATION_ERROR,
  429: ErrorCode.RATE_LIMIT_EXCEEDED,
  503: ErrorCode.SERVICE_UNAVAILABLE,
};

const INTERNAL: WireError = { code: ErrorCode.INTERNAL_ERROR, status: 500, message: 'An unexpected error occurred. Please try again later.' };

/** Errors Fastify raises before a route runs (body parsing, limits). */
function fromFastify(err: { code?: string; statusCode?: number; message?: string }): WireError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, status: 415, message: 'This route accepts application/json bodies only' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: ExtraErrorCode.PAYLOAD_TOO_LARGE, status: 413, message: 'The request body is larger than allowed' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: ErrorCode.INVALID_INPUT, status: 400, message: 'The request body is empty but Content-Type says JSON' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: ErrorCode.INVALID_INPUT, status: 400, message: 'Content-Length does not match the body' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: ExtraErrorCode.MALFORMED_JSON, status: 400, message: 'The request body is not valid JSON' };
    case 'FST_ERR_BAD_URL':
      return { code: ErrorCode.INVALID_INPUT, status: 400, message: 'The URL is not valid (a malformed percent-encoding)' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: ErrorCode.INVALID_INPUT, status: 414, message: 'A path parameter is longer than 200 characters' };
  }
  if (err.statusCode === 400 && /JSON|Unexpected token|Unexpected end/i.test(err.message ?? '')) {
    return { code: ExtraErrorCode.MALFORMED_JSON, status: 400, message: 'The request body is not valid JSON' };
  }
  if (typeof err.code === 'string' && err.code.startsWith('FST_') && typeof err.statusCode === 'number' && err.statusCode < 500) {
    return { code: STATUS_CODES[err.statusCode] ?? ErrorCode.INVALID_INPUT, status: err.statusCode, message: 'The request could not be processed' };
  }
  return null;
}

/** Reduces anything thrown to a client-safe error; `internal` says whether it should be logged. */
export function classify(exception: unknown): { wire: WireError; internal: boolean } {
  if (exception instanceof AppError) return { wire: exception.toWire(), internal: exception.status >= 500 && exception.code === ErrorCode.INTERNAL_ERROR };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === HttpStatus.NOT_FOUND) {
      return { wire: { code: ExtraErrorCode.ROUTE_NOT_FOUND, status, message: 'No route matches this method and path' }, internal: false };
    }
    if (status >= 500) return { wire: { ...INTERNAL, status }, internal: true };
    // Fastify's body-parser errors arrive wrapped by Nest.
    const fst = fromFastify({ statusCode: status, message: exception.message, code: (exception.cause as { code?: string } | undefined)?.code });
    if (fst && status !== 400) return { wire: fst, internal: false };
    if (status === 400 && /JSON/i.test(exception.message)) {
      return { wire: { code: ExtraErrorCode.MALFORMED_JSON, status, message: 'The request body is not valid JSON' }, internal: false };
    }
    if (status === 415) return { wire: { code: ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, status, message: 'This route does not accept this Content-Type' }, internal: false };
    if (status === 413) return { wire: { code: ExtraErrorCode.PAYLOAD_TOO_LARGE, status, message: 'The request body is larger than allowed' }, internal: false };
    const body = exception.getResponse();
    const message = typeof body === 'object' && body && typeof (body as { message?: unknown }).message === 'string' ? (body as { message: string }).message : exception.message;
    return { wire: { code: STATUS_CODES[status] ?? ErrorCode.INVALID_INPUT, status, message }, internal: false };
  }
  if (typeof exception === 'object' && exception !== null) {
    const fst = fromFastify(exception as { code?: string; statusCode?: number; message?: string });
    if (fst) return { wire: fst, internal: false };
  }
  return { wire: INTERNAL, internal: true };
}

export function errorEnvelope(wire: WireError, requestId: string): APIResponse<never> {
  const timestamp = new Date().toISOString();
  return {
    status: 'error',
    message: HEADLINES[wire.code] ?? wire.message,
    error: {
      message: wire.message,
      code: wire.code,
      ...(wire.details ? { details: wire.details } : {}),
      ...(wire.field_errors ? { field_errors: wire.field_errors } : {}),
      timestamp,
      request_id: requestId,
    },
    timestamp,
    request_id: requestId,
  };
}
