import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AppError, ErrorCode } from '@vgp/contracts';
import { GatewayConfig } from '../gateway.config.js';
import { AuthContextResolver } from './auth-context.resolver.js';
import { AuthGuard } from './auth.guard.js';
import { DevTokenVerifier } from './dev-token.verifier.js';
import { TokenVerifier } from './token-verifier.js';

/** Refuses every token: what runs when no verification is configured. */
class NoTokenVerifier extends TokenVerifier {
  async verify(): Promise<never> {
    throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The bearer token is not valid');
  }
}

@Module({
  providers: [
    {
      provide: TokenVerifier,
      inject: [GatewayConfig],
      useFactory: (c: GatewayConfig): TokenVerifier => (c.AUTH_DEV_TOKENS ? new DevTokenVerifier() : new NoTokenVerifier()),
    },
    AuthContextResolver,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenVerifier, AuthContextResolver],
})
export class AuthModule {}
