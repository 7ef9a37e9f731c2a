import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthChecksRegistry } from '@vgp/observability';
import { RenderWorkerConfig } from './render-worker.config.js';

/** Readiness: ffmpeg, ffprobe and espeak-ng can be run (checked at most once a minute); blob storage is `StorageModule`'s. */
@Injectable()
export class RenderHealth implements OnModuleInit {
  constructor(
    private readonly registry: HealthChecksRegistry,
    private readonly config: RenderWorkerConfig,
  ) {}

  onModuleInit(): void {
    this.registry.addTool('ffmpeg', this.config.FFMPEG_PATH, ['-hide_banner', '-version']);
    this.registry.addTool('ffprobe', this.config.FFPROBE_PATH, ['-hide_banner', '-version']);
    this.registry.addTool('espeak', this.config.ESPEAK_PATH, ['--version']);
  }
}
