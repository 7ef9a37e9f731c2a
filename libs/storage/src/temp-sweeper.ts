import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { BaseConfig } from '@vgp/config';
import { BLOB_STORAGE, type BlobStorage } from './blob-storage.js';
import { LocalFsStorage } from './local-fs.storage.js';

/** How often the temp files are swept. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

/**
 * Sweeps the local storage's temp files left by killed processes (`LocalFsStorage.sweepTemp`):
 * shortly after start, then hourly. Drivers without temp files are left alone.
 */
@Injectable()
export class TempSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TempSweeper');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
    private readonly config: BaseConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!(this.storage instanceof LocalFsStorage) || this.config.STORAGE_TMP_MAX_AGE_SECONDS === 0) return;
    const storage = this.storage;
    const sweep = () => {
      storage
        .sweepTemp(this.config.STORAGE_TMP_MAX_AGE_SECONDS * 1000)
        .then((n) => n && this.logger.log(`Removed ${n} abandoned temp file(s) of the storage`))
        .catch((err: Error) => this.logger.warn(`Temp files not swept: ${err.message}`));
    };
    this.timer = setInterval(sweep, SWEEP_EVERY_MS);
    this.timer.unref();
    setTimeout(sweep, 10_000).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
