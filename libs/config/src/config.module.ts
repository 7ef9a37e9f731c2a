import { type DynamicModule, Global, Module } from '@nestjs/common';
import { BaseConfig } from './base.config.js';
import { loadConfig } from './load-config.js';

/**
 * Validates the app's configuration class once and provides it under its own class and under
 * `BaseConfig`, so shared libs can read the common settings.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot<T extends BaseConfig>(cls: new () => T): DynamicModule {
    // Loaded when the app is created, so a bad variable fails start-up with one clear message.
    return {
      module: ConfigModule,
      providers: [
        { provide: cls, useFactory: () => loadConfig(cls) },
        ...(cls === (BaseConfig as unknown) ? [] : [{ provide: BaseConfig, useExisting: cls }]),
      ],
      exports: [cls, BaseConfig],
    };
  }
}
