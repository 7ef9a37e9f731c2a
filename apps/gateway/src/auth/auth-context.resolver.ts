import { Injectable } from '@nestjs/common';
import { type AuthContext, ROLE_DEFAULT_PERMISSIONS, UserRole, UserStatus } from '@vgp/contracts';
import type { VerifiedClaims } from './token-verifier.js';

/**
 * From verified claims to who is calling, with permissions. The seam where the `users` service's
 * profile and permissions come in; until then the role's defaults apply.
 */
@Injectable()
export class AuthContextResolver {
  async resolve(claims: VerifiedClaims): Promise<AuthContext> {
    const role = claims.role ?? UserRole.USER;
    return {
      user_id: claims.sub,
      role,
      status: UserStatus.ACTIVE,
      permissions: { user_id: claims.sub, role, ...ROLE_DEFAULT_PERMISSIONS[role] },
    };
  }
}
