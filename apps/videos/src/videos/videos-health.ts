import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthChecksRegistry } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';

/** Readiness: blob storage (where the sweeper removes deleted videos' bytes) answers. */
@Injectable()
export class VideosHealth implements OnModuleInit {
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
  }
}
