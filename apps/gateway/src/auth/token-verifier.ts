import { UserRole } from '@vgp/contracts';

/** What a verified token says about its holder. */
export interface VerifiedClaims {
  sub: string;
  role?: UserRole;
  email?: string;
  name?: string;
  image_url?: string;
  email_verified?: boolean;
  username?: string;
}

/** Turns a bearer token into verified claims, or throws an AppError (401). */
export abstract class TokenVerifier {
  abstract verify(token: string): Promise<VerifiedClaims>;
}
