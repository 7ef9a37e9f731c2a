import { UserRole } from '@vgp/contracts';

/** What a verified token says about its holder. */
export interface VerifiedClaims {
  sub: string;
  /** Seeds a new user's role only; the users service's stored role is authoritative. */
  role?: UserRole;
  email?: string;
  name?: string;
  image_url?: string;
  email_verified?: boolean;
  username?: string;
  /** Expiry (seconds since the epoch). */
  exp?: number;
}

/** Turns a bearer token into verified claims, or throws an AppError (401). */
export abstract class TokenVerifier {
  abstract verify(token: string): Promise<VerifiedClaims>;

  /** The claims of a token verified before and not yet expired, without waiting; else undefined. */
  peek(_token: string): VerifiedClaims | undefined {
    return undefined;
  }
}
