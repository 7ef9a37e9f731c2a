import { profileText, UserRole } from '@vgp/contracts';
import type { JWTPayload } from 'jose';
import type { VerifiedClaims } from './token-verifier.js';

const ROLES = new Set<string>(Object.values(UserRole));

function roleOf(p: Record<string, unknown>): UserRole | undefined {
  // Clerk puts public metadata in the session token only through a custom claim; accept the usual names.
  for (const holder of [p.metadata, p.public_metadata, p.publicMetadata]) {
    const r = holder && typeof holder === 'object' ? (holder as Record<string, unknown>).role : undefined;
    if (typeof r === 'string' && ROLES.has(r)) return r as UserRole;
  }
  return typeof p.role === 'string' && ROLES.has(p.role) ? (p.role as UserRole) : undefined;
}

/** The profile fields a Clerk session token may carry (default claims plus the usual custom ones). */
export function claimsFromPayload(payload: JWTPayload): VerifiedClaims {
  const p = payload as Record<string, unknown>;
  const first = profileText(p.first_name ?? p.given_name);
  const last = profileText(p.last_name ?? p.family_name);
  const name = profileText(p.name ?? p.full_name) ?? (first || last ? [first, last].filter(Boolean).join(' ') : undefined);
  const verified = p.email_verified;
  return {
    sub: payload.sub as string,
    role: roleOf(p),
    email: profileText(p.email ?? p.primary_email_address ?? p.primary_email, 320),
    name,
    image_url: profileText(p.image_url ?? p.picture ?? p.image, 2000),
    email_verified: verified === true || verified === 'true' ? true : verified === false || verified === 'false' ? false : undefined,
    username: profileText(p.username, 100),
    exp: payload.exp,
    iat: typeof payload.iat === 'number' ? payload.iat : undefined,
  };
}
