import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthChecksRegistry } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';

/** Readiness: blob storage (where the sweeper removes deleted videos' bytes) answers. */
@Injectable()
export class VideosHealth implements OnModuleInit {
  constructor(
    private readonly registry: HealthChecksRegistry,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  onModuleInit(): void {
    this.registry.addStorage(this.storage);
  }
}
