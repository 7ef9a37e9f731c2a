import { Injectable } from '@nestjs/common';

/** What a details provider answers: plain JSON figures (queue length, free disk, keys loaded ...). */
export type HealthDetails = Record<string, unknown>;

/** Computes service-specific figures for the health report; throwing marks the entry as failed. */
export type HealthDetailsProvider = () => HealthDetails | Promise<HealthDetails>;

/**
 * Service-specific figures a service adds to its health report (`system.v1.health.ping`), e.g.
 * the jobs service's queue length or the gateway's JWKS state. Each provider is raced against
 * `HEALTH_CHECK_TIMEOUT_MS`; a failing one is reported with its error, the others still are.
 */
@Injectable()
export class HealthDetailsRegistry {
  private readonly providers = new Map<string, HealthDetailsProvider>();

  /** Adds (or replaces) the provider named `name`. */
  add(name: string, provider: HealthDetailsProvider): void {
    this.providers.set(name, provider);
  }

  has(name: string): boolean {
    return this.providers.has(name);
  }

  get(name: string): HealthDetailsProvider | undefined {
    return this.providers.get(name);
  }

  entries(): [string, HealthDetailsProvider][] {
    return [...this.providers.entries()];
  }
}
