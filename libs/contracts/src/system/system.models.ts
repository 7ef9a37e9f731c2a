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

/** What a service answers on its `<service>.v1.health.check` subject. */
export interface ServiceHealthReport {
  service: string;
  instance_id: string;
  version: string;
  started_at: string;
  uptime_seconds: number;
  status: HealthStatus;
  checks: Record<string, ComponentHealth>;
}
