import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthService, assertStatusAllows, bearerToken } from './auth.service.js';
import { type AuthenticatedRequest, IS_PUBLIC, SIGNED_ACCESS } from './auth.decorators.js';

const AUTH_ROUTE = /^\/api\/v1\/auth(\/|$)/;

/**
 * Every route needs a verified bearer token unless it is `@Public()`; the caller's account status
 * is enforced here for every route but `/auth/*`. Permission flags are checked by each route's owner.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]);
    const header = req.headers.authorization;
    if (!header && isPublic) return true;
    // A signed link's request carries no token: the route checks its signature.
    if (!header && (req.query as Record<string, unknown> | undefined)?.signature !== undefined && this.reflector.get<boolean>(SIGNED_ACCESS, ctx.getHandler())) return true;
    try {
      const { context } = await this.auth.resolve(bearerToken(header), req.id);
      req.auth = context;
    } catch (err) {
      // A public route serves anonymous callers even with a bad token.
      if (isPublic) return true;
      throw err;
    }
    if (!isPublic) assertStatusAllows(req.auth, req.method, AUTH_ROUTE.test(req.routeOptions?.url ?? req.url));
    return true;
  }
}
