import { Logger, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppError, ErrorCode } from '@vgp/contracts';
import { GatewayConfig } from '../gateway.config.js';
import { AuthContextResolver } from './auth-context.resolver.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { ClerkJwtVerifier } from './clerk-jwt.verifier.js';
import { TokenVerifier } from './token-verifier.js';

/** Refuses every token: what runs when no issuer is configured. */
class NoTokenVerifier extends TokenVerifier {
  async verify(): Promise<never> {
    throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The bearer token is not valid');
  }
}

export function createTokenVerifier(c: GatewayConfig): TokenVerifier {
  if (!c.CLERK_ISSUER) {
    new Logger('Auth').warn('CLERK_ISSUER is not set: every bearer token is refused');
    return new NoTokenVerifier();
  }
  return new ClerkJwtVerifier({
    issuer: c.CLERK_ISSUER,
    jwksUrl: c.CLERK_JWKS_URL || undefined,
    jwksPath: c.AUTH_LOCAL_JWKS_PATH || undefined,
    authorizedParties: c.CLERK_AUTHORIZED_PARTIES,
    clockSkewSeconds: c.AUTH_CLOCK_SKEW_SECONDS,
  });
}

@Module({
  providers: [
    { provide: TokenVerifier, inject: [GatewayConfig], useFactory: createTokenVerifier },
    AuthContextResolver,
    AuthService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenVerifier, AuthContextResolver, AuthService],
})
export class AuthModule {}
