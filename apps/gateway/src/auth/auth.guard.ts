import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError, ErrorCode } from '@vgp/contracts';
import { AuthContextResolver } from './auth-context.resolver.js';
import { type AuthenticatedRequest, IS_PUBLIC } from './auth.decorators.js';
import { TokenVerifier } from './token-verifier.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Every route needs a verified bearer token unless it is `@Public()`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly resolver: AuthContextResolver,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]);
    const header = req.headers.authorization;
    if (!header) {
      if (isPublic) return true;
      throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'Authentication is required: send Authorization: Bearer <token>');
    }
    const m = BEARER.exec(header);
    if (!m) throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The Authorization header must be "Bearer <token>"');
    try {
      req.auth = await this.resolver.resolve(await this.verifier.verify(m[1]));
    } catch (err) {
      if (isPublic) return true;
      throw err;
    }
    return true;
  }
}
