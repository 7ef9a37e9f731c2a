import { ErrorCode, ExtraErrorCode } from './error-codes.js';
import type { FieldError } from './api-response.js';

/** What an error looks like on the wire between services (a NATS reply) and at the edge. */
export interface WireError {
  code: string;
  status: number;
  message: string;
  details?: Record<string, any>;
  field_errors?: FieldError[];
}

/**
 * An error meant for the client: it carries the spec's code, the HTTP status and safe details.
 * Anything thrown that is not an AppError is reported as INTERNAL_ERROR without its message.
 */
export class AppError extends Error implements WireError {
  constructor(
    readonly code: ErrorCode | ExtraErrorCode | string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, any>,
    readonly field_errors?: FieldError[],
  ) {
    super(message);
    this.name = 'AppError';
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, status: this.status, message: this.message };
    if (this.details) wire.details = this.details;
    if (this.field_errors) wire.field_errors = this.field_errors;
    return wire;
  }

  static fromWire(wire: WireError): AppError {
    return new AppError(wire.code, wire.status, wire.message, wire.details, wire.field_errors);
  }

  static isWire(value: unknown): value is WireError {
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as WireError).code === 'string' &&
      typeof (value as WireError).status === 'number' &&
      typeof (value as WireError).message === 'string'
    );
  }

  static notFound(code: ErrorCode | ExtraErrorCode, what: string, details?: Record<string, any>): AppError {
    return new AppError(code, 404, `The requested ${what} was not found`, details);
  }

  static validation(fieldErrors: FieldError[], message = 'The request contains invalid data'): AppError {
    return new AppError(ErrorCode.VALIDATION_ERROR, 422, message, undefined, fieldErrors);
  }

  static forbidden(message = 'You do not have permission to perform this action', details?: Record<string, any>): AppError {
    return new AppError(ErrorCode.FORBIDDEN, 403, message, details);
  }

  static conflict(code: ErrorCode | ExtraErrorCode, message: string, details?: Record<string, any>): AppError {
    return new AppError(code, 409, message, details);
  }

  static unavailable(service: string): AppError {
    return new AppError(ErrorCode.SERVICE_UNAVAILABLE, 503, 'The service is temporarily unavailable. Please try again shortly.', {
      service,
    });
  }
}
