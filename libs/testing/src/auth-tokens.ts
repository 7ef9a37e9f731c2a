/**
 * A bearer token for `userId` with `role`, as the frontend would send. Every test gets its tokens
 * here, so the way tokens are made (development stand-in now, locally signed Clerk-style JWTs
 * once real verification lands) changes in one place.
 */
export async function tokenFor(userId: string, role: 'user' | 'moderator' | 'admin' = 'user'): Promise<string> {
  return `dev:${userId}:${role}`;
}
