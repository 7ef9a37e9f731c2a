import { type DynamicModule, Global, Module } from '@nestjs/common';
import { BaseConfig } from '@vgp/config';
import { connectNats } from './nats-connection.js';
import { MESSAGING_OPTIONS, NATS_CONNECTION, NatsClient, type MessagingOptions } from './nats.client.js';

/** Provides the process's NATS client connection and `NatsClient`. */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(serviceName: string): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: MESSAGING_OPTIONS,
          inject: [BaseConfig],
          useFactory: (c: BaseConfig): MessagingOptions => ({ subjectPrefix: c.NATS_SUBJECT_PREFIX, timeoutMs: c.RPC_TIMEOUT_MS }),
        },
        {
          provide: NATS_CONNECTION,
          inject: [BaseConfig],
          useFactory: (c: BaseConfig) => connectNats({ servers: c.NATS_URL, name: `${serviceName}-client` }),
        },
        NatsClient,
      ],
      exports: [NatsClient, NATS_CONNECTION, MESSAGING_OPTIONS],
    };
  }
}
