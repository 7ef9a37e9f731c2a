import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthChecksRegistry } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage } from './blob-storage.js';

/**
 * Readiness of every service holding blob storage: it answers within HEALTH_CHECK_TIMEOUT_MS and
 * can be written (`HealthChecksRegistry.addStorage`).
 */
@Injectable()
export class StorageHealth implements OnModuleInit {
  constructor(
    private readonly registry: HealthChecksRegistry,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  onModuleInit(): void {
    this.registry.addStorage(this.storage);
  }
}
