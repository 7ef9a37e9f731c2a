import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Msg, type MsgHdrs, headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { AppError } from '@vgp/contracts';
import { TurnBatcher } from './turn-batcher.js';
import type { WireReply } from './wire.js';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  subjectPrefix: string;
  timeoutMs: number;
}

/** Told of every request's outcome (the observability lib turns it into a histogram). */
export type RequestObserver = (subject: string, outcome: 'ok' | 'error' | 'unavailable', seconds: number) => void;

export interface RequestOptions {
  timeoutMs?: number;
  requestId?: string;
}

/** Typed request-reply and publish/subscribe over the process's NATS connection. */
@Injectable()
export class NatsClient implements OnApplicationShutdown {
  private readonly logger = new Logger('NatsClient');
  private observer?: RequestObserver;
  private readonly writes = new TurnBatcher((err) => this.logger.warn(`NATS write failed: ${(err as Error).message}`));

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  get connection(): NatsConnection {
    return this.nc;
  }

  observeRequests(observer: RequestObserver): void {
    this.observer = observer;
  }

  /**
   * Asks the service behind `subject` and returns its answer. An error it raised comes back as
   * the same AppError (code and status); no responder or no answer in time is 503.
   */
  async request<T>(subject: string, payload: unknown, opts: RequestOptions = {}): Promise<T> {
    const service = subject.split('.')[0];
    let h: MsgHdrs | undefined;
    if (opts.requestId) {
      h = natsHeaders();
      h.set('x-request-id', opts.requestId);
    }
    let reply: WireReply<T>;
    const started = performance.now();
    try {
      const data = JSON.stringify(payload ?? null);
      const timeout = opts.timeoutMs ?? this.options.timeoutMs;
      const msg = await new Promise<Msg>((resolve, reject) => {
        this.writes.run(() => {
          try {
            this.nc.request(this.options.subjectPrefix + subject, data, { timeout, headers: h }).then(resolve, reject);
          } catch (err) {
            // A closed or draining connection may refuse at once: the caller still gets its answer (503).
            reject(err);
          }
        });
      });
      reply = msg.json<WireReply<T>>();
    } catch (err) {
      this.observer?.(subject, 'unavailable', (performance.now() - started) / 1000);
      if (err instanceof AppError) throw err;
      this.logger.warn(`Request ${subject} failed: ${(err as Error).message}`);
      throw AppError.unavailable(service);
    }
    this.observer?.(subject, reply.e ? 'error' : 'ok', (performance.now() - started) / 1000);
    if (reply.e) throw AppError.fromWire(reply.e);
    return reply.d as T;
  }

  /** Fire-and-forget event (at most once). */
  publish(subject: string, payload: unknown): void {
    const data = JSON.stringify(payload);
    this.writes.run(() => {
      try {
        this.nc.publish(this.options.subjectPrefix + subject, data);
      } catch (err) {
        this.logger.warn(`Publish ${subject} failed: ${(err as Error).message}`);
      }
    });
  }

  /** Every message on `subject` (or the queue group's share of them). */
  subscribe<T>(subject: string, handler: (data: T, subject: string) => void, opts: { queue?: string } = {}): Subscription {
    const prefix = this.options.subjectPrefix;
    return this.nc.subscribe(prefix + subject, {
      queue: opts.queue,
      callback: (err, msg) => {
        if (err) return this.logger.error(`Subscription ${subject}: ${err.message}`);
        try {
          handler(msg.json<T>(), msg.subject.slice(prefix.length));
        } catch (e) {
          this.logger.error(`Handler for ${subject} failed: ${(e as Error).message}`);
        }
      },
    });
  }

  /** Round trip to the server, bounded by `timeoutMs`: for readiness checks. */
  async ping(timeoutMs: number): Promise<number> {
    if (this.nc.isClosed()) throw new Error('NATS connection is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NATS did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.nc.rtt(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.writes.flush();
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
  }
}

