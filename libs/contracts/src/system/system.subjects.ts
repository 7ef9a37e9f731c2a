export const SystemSubjects = {
  /** Broadcast (no queue group): every instance of every service answers a ServiceHealthReport. */
  healthPing: 'system.v1.health.ping',
} as const;

/** Service names: also their NATS queue groups and the `service` metric label. */
export enum ServiceName {
  GATEWAY = 'gateway',
  JOBS = 'jobs',
  VIDEOS = 'videos',
  FILES = 'files',
  USERS = 'users',
  RENDER_WORKER = 'render-worker',
}
