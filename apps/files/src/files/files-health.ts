import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthChecksRegistry } from '@vgp/observability';

/** Readiness: ffprobe (media metadata) and pdfinfo (page counts) run; blob storage is `StorageModule`'s. */
@Injectable()
export class FilesHealth implements OnModuleInit {
  constructor(private readonly registry: HealthChecksRegistry) {}

  onModuleInit(): void {
    this.registry.addTool('ffprobe', 'ffprobe', ['-hide_banner', '-version']);
    this.registry.addTool('pdfinfo', 'pdfinfo', ['-v']);
  }
}
