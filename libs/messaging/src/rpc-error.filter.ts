import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { AppError } from '@vgp/contracts';
import { throwError, type Observable } from 'rxjs';
import { toWireError } from './wire.js';

/**
 * Keeps an AppError's code and status on its way back to the caller; logs and masks the rest.
 * HTTP errors (the health and metrics port) keep Nest's own handling.
 */
@Catch()
export class RpcErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('RpcErrorFilter');

  /** `http`: the filter for the app's HTTP side (the gateway's envelope); Nest's default shape otherwise. */
  constructor(private readonly http?: ExceptionFilter) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'rpc' && this.http) return this.http.catch(exception, host);
    if (host.getType() !== 'rpc') {
      const res = host.switchToHttp().getResponse();
      const status = exception instanceof HttpException ? exception.getStatus() : 500;
      const body = exception instanceof HttpException ? exception.getResponse() : { statusCode: 500, message: 'Internal server error' };
      if (status >= 500 && !(exception instanceof HttpException)) this.logger.error(exception);
      res.status(status).send(body);
      return;
    }
    if (!(exception instanceof AppError)) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return throwError(() => toWireError(exception));
  }
}
