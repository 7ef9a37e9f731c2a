export const SystemSubjects = {
  /** Broadcast (no queue group): every instance of every service answers a ServiceHealthReport. */
  healthPing: 'system.v1.health.ping',
  /** Event: an instance is shutting down on purpose (InstanceStoppingEvent); gateways stop expecting it. */
  instanceStopping: 'system.v1.instance.stopping',
} as const;

/** Published by an instance as it shuts down gracefully (a scale-down or a rolling update). */
export interface InstanceStoppingEvent {
  service: string;
  instance_id: string;
}

/** Service names: also their NATS queue groups and the `service` metric label. */
export enum ServiceName {
  GATEWAY = 'gateway',
  JOBS = 'jobs',
  VIDEOS = 'videos',
  FILES = 'files',
  USERS = 'users',
  RENDER_WORKER = 'render-worker',
}
