import { Injectable } from '@nestjs/common';
import { AppError, type AuthContext, ErrorCode, type ResolveUserReply, UserStatus } from '@vgp/contracts';
import { AuthContextResolver } from './auth-context.resolver.js';
import { TokenVerifier, type VerifiedClaims } from './token-verifier.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The bearer token of an `Authorization` header, or a 401. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'Authentication is required: send Authorization: Bearer <token>');
  const m = BEARER.exec(header);
  if (!m) throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The Authorization header must be "Bearer <token>"');
  return m[1];
}

/**
 * Who may do what, by account status: `suspended` and `inactive` accounts reach only `/auth/*`;
 * `pending_verification` may read but not create or change.
 */
export function assertStatusAllows(ctx: AuthContext, method: string, authRoute: boolean): void {
  if (authRoute) return;
  if (ctx.status === UserStatus.SUSPENDED || ctx.status === UserStatus.INACTIVE) {
    throw AppError.forbidden(`This account is ${ctx.status}`, { status: ctx.status });
  }
  if (ctx.status === UserStatus.PENDING_VERIFICATION && !READS.has(method.toUpperCase())) {
    throw AppError.forbidden('This account must be verified before it can create or change anything', { status: ctx.status });
  }
}

/** Token → verified claims → the caller (HTTP guard, WebSocket and SSE handshakes). */
@Injectable()
export class AuthService {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly resolver: AuthContextResolver,
  ) {}

  verify(token: string): Promise<VerifiedClaims> {
    return this.verifier.verify(token);
  }

  async resolve(token: string, requestId?: string): Promise<ResolveUserReply> {
    return this.resolver.resolveWithProfile(await this.verifier.verify(token), requestId);
  }

  /**
   * The caller of a request with this `Authorization` header, refused (403) when the account's
   * status does not allow `method`. For upgrades and streams outside the HTTP guard.
   */
  async authenticate(authorization: string | undefined, method = 'GET', requestId?: string): Promise<AuthContext> {
    const { context } = await this.resolve(bearerToken(authorization), requestId);
    assertStatusAllows(context, method, false);
    return context;
  }
}
