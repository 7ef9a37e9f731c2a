import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthChecksRegistry } from '@vgp/observability';
import { runProcess } from './media/process-runner.js';
import { RenderWorkerConfig } from './render-worker.config.js';

/** Readiness: ffmpeg, ffprobe and espeak-ng can be run (checked at most once a minute). */
@Injectable()
export class RenderHealth implements OnModuleInit {
  private readonly cache = new Map<string, { at: number; version?: string; error?: string }>();

  constructor(
    private readonly registry: HealthChecksRegistry,
    private readonly indicator: HealthIndicatorService,
    private readonly config: RenderWorkerConfig,
  ) {}

  onModuleInit(): void {
    const tools: Array<[string, string, string[]]> = [
      ['ffmpeg', this.config.FFMPEG_PATH, ['-hide_banner', '-version']],
      ['ffprobe', this.config.FFPROBE_PATH, ['-hide_banner', '-version']],
      ['espeak', this.config.ESPEAK_PATH, ['--version']],
    ];
    for (const [name, bin, args] of tools) {
      this.registry.add(async () => {
        const s = this.indicator.check(name);
        const r = await this.probe(bin, args);
        return r.error ? s.down({ error: r.error }) : s.up({ version: r.version });
      });
    }
  }

  private async probe(bin: string, args: string[]): Promise<{ version?: string; error?: string }> {
    const hit = this.cache.get(bin);
    if (hit && Date.now() - hit.at < 60_000) return hit;
    let entry: { at: number; version?: string; error?: string };
    try {
      const { stdout } = await runProcess(bin, args);
      entry = { at: Date.now(), version: stdout.split('\n')[0].slice(0, 80) };
    } catch (err) {
      entry = { at: Date.now(), error: (err as Error).message.slice(0, 200) };
    }
    this.cache.set(bin, entry);
    return entry;
  }
}
