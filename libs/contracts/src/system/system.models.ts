import type { HealthStatus } from './system.enums.js';

export interface ComponentHealth {
  status: string;
  response_time_ms?: number;
  error?: string;
  details?: Record<string, any>;
  last_check?: string;
}

export interface SystemHealth {
  status: HealthStatus;
  timestamp: string;
  uptime_seconds: number;
  components: Record<string, ComponentHealth>;
  version: string;
  environment: string;
}

/** What every instance of every service answers on the broadcast `system.v1.health.ping`. */
export interface ServiceHealthReport {
  service: string;
  instance_id: string;
  version: string;
  started_at: string;
  uptime_seconds: number;
  status: HealthStatus;
  checks: Record<string, ComponentHealth>;
  /**
   * Service-specific figures by provider name (`process`, `database` when the service has one,
   * plus whatever it registered, e.g. `queue`); a failed provider is `{ error, response_time_ms }`.
   */
  details?: Record<string, any>;
}
