import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthContext } from '@vgp/contracts';
import type { FastifyRequest } from 'fastify';

export { IS_PUBLIC, Public, SIGNED_ACCESS, SignedAccess } from '@vgp/observability';

export type AuthenticatedRequest = FastifyRequest & { auth?: AuthContext };

/** The caller of an authenticated route. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext | undefined => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().auth;
});
