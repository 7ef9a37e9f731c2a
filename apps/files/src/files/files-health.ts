import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthChecksRegistry } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Readiness: blob storage answers; ffprobe and pdfinfo run (each tool checked at most once a minute). */
@Injectable()
export class FilesHealth implements OnModuleInit {
  private readonly cache = new Map<string, { at: number; version?: string; error?: string }>();

  constructor(
    private readonly registry: HealthChecksRegistry,
    private readonly indicator: HealthIndicatorService,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  onModuleInit(): void {
    this.registry.add(async () => {
      const s = this.indicator.check('blob_storage');
      try {
        const c = await this.storage.capacity();
        return s.up({ driver: this.storage.driver, ...(c ? { free_bytes: c.free_bytes } : {}) });
      } catch (err) {
        return s.down({ driver: this.storage.driver, error: (err as Error).message.slice(0, 200) });
      }
    });
    for (const [name, bin, args] of [
      ['ffprobe', 'ffprobe', ['-hide_banner', '-version']],
      ['pdfinfo', 'pdfinfo', ['-v']],
    ] as const) {
      this.registry.add(async () => {
        const s = this.indicator.check(name);
        const r = await this.probe(bin, [...args]);
        return r.error ? s.down({ error: r.error }) : s.up({ version: r.version });
      });
    }
  }

  private async probe(bin: string, args: string[]): Promise<{ version?: string; error?: string }> {
    const hit = this.cache.get(bin);
    if (hit && Date.now() - hit.at < 60_000) return hit;
    let entry: { at: number; version?: string; error?: string };
    try {
      // pdfinfo -v prints its version on stderr.
      const { stdout, stderr } = await run(bin, args, { timeout: 5000 });
      entry = { at: Date.now(), version: (stdout || stderr).split('\n')[0].slice(0, 80) };
    } catch (err) {
      entry = { at: Date.now(), error: (err as Error).message.slice(0, 200) };
    }
    this.cache.set(bin, entry);
    return entry;
  }
}
