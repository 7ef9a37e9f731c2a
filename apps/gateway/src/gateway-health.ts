import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthChecksRegistry } from '@vgp/observability';
import { BLOB_STORAGE, type BlobStorage } from '@vgp/storage';

/** Readiness: blob storage answers and can be written (the gateway stores every upload there). */
@Injectable()
export class GatewayHealth implements OnModuleInit {
  constructor(
    private readonly registry: HealthChecksRegistry,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  onModuleInit(): void {
    this.registry.addStorage(this.storage);
  }
}
