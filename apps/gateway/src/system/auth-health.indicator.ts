/**
 * What a token verifier may implement so that `/system/health` can report authentication
 * (e.g. JWKS reachable, keys loaded). Throwing means unhealthy; the answer becomes `details`.
 * A `HealthDetailsRegistry` provider named `authentication` takes precedence over it.
 */
export interface AuthHealthIndicator {
  health(): Promise<Record<string, unknown>>;
}

export function hasAuthHealth(v: unknown): v is AuthHealthIndicator {
  return typeof v === 'object' && v !== null && typeof (v as AuthHealthIndicator).health === 'function';
}
