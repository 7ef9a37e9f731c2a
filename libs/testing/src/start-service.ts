import type { ExceptionFilter, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { BaseConfig, loadConfig } from '@vgp/config';
import { configureServiceApp, listenServiceApp } from '@vgp/observability';
import type { FastifyServerOptions } from 'fastify';

export interface StartServiceOptions<C extends BaseConfig> {
  module: Type<unknown>;
  config: new () => C;
  service: string;
  env: Record<string, string>;
  broadcast?: readonly string[];
  fastify?: (config: C) => FastifyServerOptions;
  httpFilter?: ExceptionFilter;
  bodyParser?: boolean;
  configure?: (app: NestFastifyApplication, config: C) => void | Promise<void>;
}

export interface RunningService<C> {
  app: NestFastifyApplication;
  url: string;
  config: C;
  close(): Promise<void>;
}

/**
 * Starts a real app in this process, exactly as its `main` does, but with the given environment
 * only (hermetic) and an ephemeral HTTP port.
 */
export async function startService<C extends BaseConfig>(o: StartServiceOptions<C>): Promise<RunningService<C>> {
  const config = loadConfig(o.config, o.env);
  const moduleRef = await Test.createTestingModule({ imports: [o.module] })
    .overrideProvider(o.config)
    .useValue(config)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(o.fastify?.(config)), {
    logger: ['error', 'warn'],
    bodyParser: o.bodyParser ?? true,
  });
  configureServiceApp(app, { service: o.service, broadcast: o.broadcast, httpFilter: o.httpFilter });
  await o.configure?.(app, config);
  const url = await listenServiceApp(app);
  return { app, url: url.replace('[::1]', '127.0.0.1'), config, close: () => app.close() };
}
