import { Injectable } from '@nestjs/common';

interface CountEntry {
  n: number;
  expires: number;
}

/** How long a list's total is reused: bounds how stale a total can be after another replica's writes. */
const TTL_MS = 3000;
const MAX_ENTRIES = 10_000;

/**
 * Totals of job lists, so page 1000 of 100 000 jobs costs an index-only offset scan rather than
 * another count of every row. A user's totals are dropped at once when this replica changes one
 * of their jobs (create, claim, finish, cancel, delete); other replicas' changes show within 3 s.
 * Identical counts under way are shared.
 */
@Injectable()
export class ListCountCache {
  private readonly entries = new Map<string, CountEntry>();
  private readonly inflight = new Map<string, Promise<number>>();
  private readonly versions = new Map<string, number>();
  private allVersion = 0;

  /** A job of this user changed. */
  bump(userId: string): void {
    this.versions.set(userId, (this.versions.get(userId) ?? 0) + 1);
    this.allVersion++;
    if (this.versions.size > MAX_ENTRIES) this.versions.clear();
  }

  async count(userId: string | null, key: string, run: () => Promise<number>): Promise<number> {
    const full = `${userId === null ? `*:${this.allVersion}` : `${userId}:${this.versions.get(userId) ?? 0}`}|${key}`;
    const hit = this.entries.get(full);
    if (hit && hit.expires > Date.now()) return hit.n;
    const pending = this.inflight.get(full);
    if (pending) return pending;
    const p = run()
      .then((n) => {
        if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
        this.entries.set(full, { n, expires: Date.now() + TTL_MS });
        return n;
      })
      .finally(() => this.inflight.delete(full));
    this.inflight.set(full, p);
    return p;
  }
}
