import type { ResolveClaims } from '@vgp/contracts';

/** What a verified token says about its holder: the claims the users service resolves, and when it expires. */
export interface VerifiedClaims extends ResolveClaims {
  /** Expiry (seconds since the epoch). */
  exp?: number;
  /** Issue time (seconds since the epoch): which of two tokens of a user is the newer. */
  iat?: number;
}

/** Turns a bearer token into verified claims, or throws an AppError (401). */
export abstract class TokenVerifier {
  abstract verify(token: string): Promise<VerifiedClaims>;

  /** The claims of a token verified before and not yet expired, without waiting; else undefined. */
  peek(_token: string): VerifiedClaims | undefined {
    return undefined;
  }
}
