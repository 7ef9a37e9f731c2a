export const UsersSubjects = {
  /** From verified token claims: create or refresh the profile, answer the AuthContext. */
  resolve: 'users.v1.user.resolve',
  get: 'users.v1.user.get',
  list: 'users.v1.user.list',
  getPermissions: 'users.v1.permissions.get',
  updatePermissions: 'users.v1.permissions.update',
  updateStatus: 'users.v1.status.update',
  /** A verified Clerk webhook event. */
  applyWebhook: 'users.v1.webhook.apply',
  /** Whether a user's public content may be shown (the videos service, for public reads and signed links). */
  standing: 'users.v1.user.standing',
  /** A gateway replica reserves part of a caller's rate-limit window. */
  reserveRateLimit: 'users.v1.ratelimit.reserve',
} as const;

export const UsersEvents = {
  updated: 'users.v1.user.updated',
  deleted: 'users.v1.user.deleted',
} as const;
