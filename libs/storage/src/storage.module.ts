import { type DynamicModule, Global, Module } from '@nestjs/common';
import { BaseConfig } from '@vgp/config';
import { BLOB_STORAGE } from './blob-storage.js';
import { LocalFsStorage } from './local-fs.storage.js';
import { StorageHealth } from './storage-health.js';
import { TempSweeper } from './temp-sweeper.js';

/**
 * Provides `BLOB_STORAGE`: the local filesystem driver rooted at `STORAGE_DIR`, its temp files swept
 * (`TempSweeper`), and its readiness check (`StorageHealth`) in every service that imports it.
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: BLOB_STORAGE, inject: [BaseConfig], useFactory: (c: BaseConfig) => new LocalFsStorage(c.STORAGE_DIR) }, TempSweeper, StorageHealth],
      exports: [BLOB_STORAGE],
    };
  }
}
