import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthChecksRegistry } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';

/** Readiness: blob storage answers; ffprobe (media metadata) and pdfinfo (page counts) run. */
@Injectable()
export class FilesHealth implements OnModuleInit {
  constructor(
    private readonly registry: HealthChecksRegistry,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  onModuleInit(): void {
    this.registry.addStorage(this.storage);
    this.registry.addTool('ffprobe', 'ffprobe', ['-hide_banner', '-version']);
    this.registry.addTool('pdfinfo', 'pdfinfo', ['-v']);
  }
}
