import { AppError, ErrorCode, UserRole } from '@vgp/contracts';
import { TokenVerifier, type VerifiedClaims } from './token-verifier.js';

const DEV_TOKEN = /^dev:([A-Za-z0-9_-]{1,64})(?::(user|moderator|admin))?$/;

/**
 * Development stand-in: `dev:<user_id>[:<role>]`. Only wired when AUTH_DEV_TOKENS is on, which
 * the configuration refuses in production.
 */
export class DevTokenVerifier extends TokenVerifier {
  async verify(token: string): Promise<VerifiedClaims> {
    const m = DEV_TOKEN.exec(token);
    if (!m) throw new AppError(ErrorCode.UNAUTHORIZED, 401, 'The bearer token is not valid');
    return { sub: m[1], role: (m[2] as UserRole | undefined) ?? UserRole.USER, name: m[1], email_verified: true };
  }
}
