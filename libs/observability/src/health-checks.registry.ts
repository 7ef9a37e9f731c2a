import { Injectable, Optional } from '@nestjs/common';
import { BaseConfig } from '@vgp/config';
import { type HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TOOL_RECHECK_MS = 60_000;

/** What a blob store offers a readiness check (structurally `BlobStorage` of `@vgp/storage`). */
export interface CapacityReporter {
  readonly driver: string;
  capacity(): Promise<{ total_bytes: number; free_bytes: number } | null>;
  /** Writes and removes a small file: the service can store bytes there (not only read its size). */
  probeWrite?(): Promise<void>;
}

/** How often the store's writability is checked again (readiness probes come every few seconds). */
const WRITE_RECHECK_MS = 60_000;

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

  constructor(
    private readonly indicator: HealthIndicatorService,
    @Optional() private readonly config?: BaseConfig,
  ) {}

  add(check: HealthIndicatorFunction): void {
    this.checks.push(check);
  }

  all(): HealthIndicatorFunction[] {
    return [...this.checks];
  }

  /**
   * `blob_storage`: the store answers with its free space within `HEALTH_CHECK_TIMEOUT_MS`, and
   * can be written (a small file written and removed, checked at most once a minute): a volume
   * mounted read-only or owned by another user (NFS and EFS ignore `fsGroup`) made every upload
   * and render fail while the pod was ready. One check at a time: a store that hangs (a stuck
   * network mount) holds one of libuv's few threads, not one more per probe.
   */
  addStorage(storage: CapacityReporter): void {
    let pending: Promise<{ free_bytes?: number }> | undefined;
    let written: { at: number; error?: string } | undefined;
    const check = async (): Promise<{ free_bytes?: number }> => {
      const c = await storage.capacity();
      if (storage.probeWrite && (!written || Date.now() - written.at >= WRITE_RECHECK_MS)) {
        written = await storage.probeWrite().then(
          () => ({ at: Date.now() }),
          (err: Error) => ({ at: Date.now(), error: `not writable: ${err.message.slice(0, 200)}` }),
        );
      }
      if (written?.error) throw new Error(written.error);
      return c ? { free_bytes: c.free_bytes } : {};
    };
    this.add(async () => {
      const s = this.indicator.check('blob_storage');
      const timeoutMs = this.config?.HEALTH_CHECK_TIMEOUT_MS ?? 1000;
      pending ??= check().finally(() => (pending = undefined));
      let timer: NodeJS.Timeout | undefined;
      try {
        const figures = await Promise.race([
          pending,
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
        ]);
        return s.up({ driver: storage.driver, ...figures });
      } catch (err) {
        return s.down({ driver: storage.driver, error: (err as Error).message.slice(0, 200) });
      } finally {
        clearTimeout(timer);
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
