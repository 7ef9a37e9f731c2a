import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, ExtraErrorCode } from '@vgp/contracts';
import type { FastifyRequest } from 'fastify';

const ACCEPTS_MULTIPART = 'vgp:accepts-multipart';

/** A route that takes `multipart/form-data` (uploads), and nothing else. */
export const AcceptsMultipart = () => SetMetadata(ACCEPTS_MULTIPART, true);

/**
 * Keeps the multipart parser to the upload routes: a multipart body anywhere else is 415, as any
 * non-JSON body is; an upload route refuses anything but multipart.
 */
@Injectable()
export class MultipartGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const multipart = typeof req.isMultipart === 'function' && req.isMultipart();
    const accepts = this.reflector.getAllAndOverride<boolean>(ACCEPTS_MULTIPART, [ctx.getHandler(), ctx.getClass()]) ?? false;
    if (multipart && !accepts) throw new AppError(ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, 'This route accepts application/json bodies only');
    if (accepts && !multipart) throw new AppError(ExtraErrorCode.UNSUPPORTED_MEDIA_TYPE, 415, 'Uploads are multipart/form-data');
    return true;
  }
}
