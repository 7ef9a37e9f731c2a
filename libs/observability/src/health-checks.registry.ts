import { Injectable } from '@nestjs/common';
import { type HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOOL_RECHECK_MS = 60_000;

/** What a blob store offers a readiness check (structurally `BlobStorage` of `@vgp/storage`). */
export interface CapacityReporter {
  readonly driver: string;
  capacity(): Promise<{ total_bytes: number; free_bytes: number } | null>;
}

interface ToolState {
  at: number;
  version?: string;
  error?: string;
}

/** Readiness checks beyond PostgreSQL and NATS that a service adds (e.g. blob storage, ffmpeg). */
@Injectable()
export class HealthChecksRegistry {
  private readonly checks: HealthIndicatorFunction[] = [];
  private readonly tools = new Map<string, ToolState>();

  constructor(private readonly indicator: HealthIndicatorService) {}

  add(check: HealthIndicatorFunction): void {
    this.checks.push(check);
  }

  all(): HealthIndicatorFunction[] {
    return [...this.checks];
  }

  /** `blob_storage`: the store answers, with its free space. */
  addStorage(storage: CapacityReporter): void {
    this.add(async () => {
      const s = this.indicator.check('blob_storage');
      try {
        const c = await storage.capacity();
        return s.up({ driver: storage.driver, ...(c ? { free_bytes: c.free_bytes } : {}) });
      } catch (err) {
        return s.down({ driver: storage.driver, error: (err as Error).message.slice(0, 200) });
      }
    });
  }

  /** `name`: the program runs (its version line); checked at most once a minute, probes come often. */
  addTool(name: string, bin: string, args: readonly string[]): void {
    this.add(async () => {
      const s = this.indicator.check(name);
      const r = await this.probe(bin, args);
      return r.error ? s.down({ error: r.error }) : s.up({ version: r.version });
    });
  }

  private async probe(bin: string, args: readonly string[]): Promise<ToolState> {
    const key = `${bin} ${args.join(' ')}`;
    const hit = this.tools.get(key);
    if (hit && Date.now() - hit.at < TOOL_RECHECK_MS) return hit;
    let state: ToolState;
    try {
      // Some tools (pdfinfo -v) print their version on stderr.
      const { stdout, stderr } = await run(bin, [...args], { timeout: 5000 });
      state = { at: Date.now(), version: (stdout || stderr).split('\n')[0].slice(0, 80) };
    } catch (err) {
      state = { at: Date.now(), error: (err as Error).message.slice(0, 200) };
    }
    this.tools.set(key, state);
    return state;
  }
}
