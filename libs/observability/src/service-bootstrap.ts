import { ConsoleLogger, type ExceptionFilter, type INestApplication, type LogLevel, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { BaseConfig, ConfigError, loadConfig } from '@vgp/config';
import { NATS_CONNECTION, NatsRpcServer, RpcErrorFilter } from '@vgp/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyServerOptions } from 'fastify';
import { MetricsService } from './metrics.service.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export function createLogger(service: string, config: Pick<BaseConfig, 'LOG_LEVEL' | 'LOG_JSON'>): ConsoleLogger {
  const upTo = LEVELS.indexOf(config.LOG_LEVEL);
  return new ConsoleLogger({ prefix: service, json: config.LOG_JSON, logLevels: LEVELS.slice(0, upTo + 1), timestamp: !config.LOG_JSON });
}

export interface ServiceAppOptions {
  service: string;
  /** Subjects every instance receives (no queue group). */
  broadcast?: readonly string[];
  /** Handles errors of the HTTP side (the gateway's envelope); RPC errors keep their wire shape. */
  httpFilter?: ExceptionFilter;
  /** Nest's own JSON and urlencoded parsers (off: Fastify's JSON parser only, other types answer 415). */
  bodyParser?: boolean;
}

/**
 * Wires what every service shares onto a created app: the RPC error filter, HTTP metrics, the NATS
 * transport (queue group = service name) and graceful shutdown.
 */
export function configureServiceApp(app: NestFastifyApplication, o: ServiceAppOptions): void {
  const config = app.get(BaseConfig);
  const metrics = app.get(MetricsService);
  app.useGlobalFilters(new RpcErrorFilter(o.httpFilter));
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions?.url ?? 'unmatched';
      metrics.httpRequestDuration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
      done();
    });
  app.connectMicroservice(
    {
      strategy: new NatsRpcServer({
        servers: config.NATS_URL,
        queue: o.service,
        subjectPrefix: config.NATS_SUBJECT_PREFIX,
        broadcast: o.broadcast,
        onHandled: (m) => metrics.natsHandlerDuration.observe({ subject: m.subject, outcome: m.outcome }, m.seconds),
        // One connection per process: what a turn replies and publishes leaves in one write.
        connection: () => {
          try {
            return app.get<NatsConnection>(NATS_CONNECTION, { strict: false });
          } catch {
            return undefined;
          }
        },
      }),
    },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks();
}

/** Starts the NATS transport and the HTTP port; answers the URL it listens on. */
export async function listenServiceApp(app: INestApplication): Promise<string> {
  const config = app.get(BaseConfig);
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  return app.getUrl();
}

export interface BootstrapOptions<C extends BaseConfig> extends ServiceAppOptions {
  module: Type<unknown>;
  config: new () => C;
  fastify?: (config: C) => FastifyServerOptions;
  /** App-specific set-up between creation and listening (the gateway's envelope, OpenAPI ...). */
  configure?: (app: NestFastifyApplication, config: C) => void | Promise<void>;
}

/** A service's `main`: validated configuration, the hybrid app, and a clear exit on bad start-up. */
export async function bootstrapService<C extends BaseConfig>(o: BootstrapOptions<C>): Promise<NestFastifyApplication> {
  let config: C;
  try {
    config = loadConfig(o.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`[${o.service}] ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(o.service, config);
  try {
    const app = await NestFactory.create<NestFastifyApplication>(o.module, new FastifyAdapter(o.fastify?.(config)), { logger, abortOnError: false, bodyParser: o.bodyParser ?? true });
    configureServiceApp(app, o);
    await o.configure?.(app, config);
    const url = await listenServiceApp(app);
    logger.log(`${o.service} ${config.APP_VERSION} listening on ${url} (${config.NODE_ENV})`);
    exitAfterShutdownTimeout(config.SHUTDOWN_TIMEOUT_MS, (m) => logger.error(m));
    return app;
  } catch (err) {
    logger.fatal(`${o.service} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  }
}

/**
 * Bounds a graceful shutdown (SIGTERM, SIGINT): past `timeoutMs` the process exits (code 1) with a
 * line saying so, whatever a hook or a connection still waits for, so a stuck drain ends in the
 * service's own time rather than at the orchestrator's SIGKILL. 0 leaves the shutdown unbounded.
 */
export function exitAfterShutdownTimeout(timeoutMs: number, log: (message: string) => void): void {
  if (timeoutMs <= 0) return;
  const arm = (signal: NodeJS.Signals) => {
    setTimeout(() => {
      log(`Shutdown on ${signal} took longer than SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): exiting`);
      process.exit(1);
    }, timeoutMs).unref();
  };
  process.once('SIGTERM', arm);
  process.once('SIGINT', arm);
}
