import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createInbox, type Msg, type MsgHdrs, headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { AppError, ExtraErrorCode } from '@vgp/contracts';
import { type TurnBatcher, turnBatcherOf } from './turn-batcher.js';
import { BATCH_HEADER, type WireReply } from './wire.js';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  subjectPrefix: string;
  timeoutMs: number;
}

/** Most requests, and most bytes, in one batch message. */
const BATCH_MAX_ITEMS = 200;
const BATCH_MAX_BYTES = 256 * 1024;
/** Room left in a message for its headers (request ids, batch size). */
const MESSAGE_HEADROOM = 8 * 1024;

interface PendingBatch {
  items: PendingRequest[];
  bytes: number;
}

interface PendingRequest {
  data: string;
  requestId?: string;
  timeoutMs?: number;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
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
  private readonly writes: TurnBatcher;
  /** The batch of each subject still taking requests this turn. */
  private readonly batches = new Map<string, PendingBatch>();
  /** Requests waiting for their reply, by the token ending their reply subject. */
  private readonly awaiting = new Map<string, { resolve: (m: Msg) => void; reject: (err: unknown) => void; timer: NodeJS.Timeout }>();
  private replySeq = 0;
  private replies?: { prefix: string; sub: Subscription };

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {
    this.writes = turnBatcherOf(nc, (err) => this.logger.warn(`NATS write failed: ${(err as Error).message}`));
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  /**
   * Calls `listener` on every disconnect and reconnect of the connection: events published
   * meanwhile may have been missed, so what a cache keeps fresh by events is stale. Answers a
   * function that stops listening.
   */
  onConnectionLost(listener: () => void): () => void {
    let stopped = false;
    void (async () => {
      try {
        for await (const s of this.nc.status()) {
          if (stopped) return;
          if (s.type === 'disconnect' || s.type === 'reconnect') listener();
        }
      } catch (err) {
        this.logger.warn(`NATS status stream ended: ${(err as Error).message}`);
      }
    })();
    return () => {
      stopped = true;
    };
  }

  observeRequests(observer: RequestObserver): void {
    this.observer = observer;
  }

  /**
   * Asks the service behind `subject` and returns its answer. An error it raised comes back as
   * the same AppError (code and status); no responder or no answer in time is 503.
   */
  async request<T>(subject: string, payload: unknown, opts: RequestOptions = {}): Promise<T> {
    let h: MsgHdrs | undefined;
    if (opts.requestId) {
      h = natsHeaders();
      h.set('x-request-id', opts.requestId);
    }
    const data = JSON.stringify(payload ?? null);
    this.checkSize(data);
    const started = performance.now();
    let reply: WireReply<T>;
    try {
      const msg = await new Promise<Msg>((resolve, reject) => this.writes.run(() => this.send(subject, data, opts.timeoutMs, h).then(resolve, reject)));
      reply = msg.json<WireReply<T>>();
    } catch (err) {
      throw this.unavailable(subject, err, started);
    }
    return this.answer(subject, reply, started);
  }

  /**
   * The same as `request`, for a subject whose handler takes many requests at once: the requests
   * to `subject` made during one event-loop turn travel as one message (a JSON array, header
   * `${BATCH_HEADER}`) and come back as one array of replies, each settling its own promise. The
   * server runs the handler once per item, so the answers are the ones `request` would give; what
   * is saved is a NATS message, its routing and its parsing per request.
   */
  requestBatched<T>(subject: string, payload: unknown, opts: RequestOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const data = JSON.stringify(payload ?? null);
      try {
        this.checkSize(data);
      } catch (err) {
        return reject(err);
      }
      let batch = this.batches.get(subject);
      // A full batch leaves as it is (it is already on its way); the next requests start another.
      if (!batch || batch.items.length >= BATCH_MAX_ITEMS || batch.bytes + data.length > this.batchMaxBytes()) {
        const fresh: PendingBatch = { items: [], bytes: 2 };
        this.batches.set(subject, fresh);
        this.writes.run(() => this.sendBatch(subject, fresh));
        batch = fresh;
      }
      batch.items.push({ data, requestId: opts.requestId, timeoutMs: opts.timeoutMs, resolve: resolve as (v: unknown) => void, reject });
      batch.bytes += data.length + 1;
    });
  }

  /**
   * A request the server's largest message (1 MB by default) cannot carry is 413: the client sent
   * too much for any service to be asked (it was a 503 after the publish failed, as if the service
   * were down).
   */
  private checkSize(data: string): void {
    const max = (this.nc.info?.max_payload ?? 1024 * 1024) - MESSAGE_HEADROOM;
    // A UTF-16 unit is at most 3 bytes of UTF-8: most requests need no count of their bytes.
    if (data.length * 3 > max && Buffer.byteLength(data) > max) {
      throw new AppError(ExtraErrorCode.PAYLOAD_TOO_LARGE, 413, 'The request is too large to be passed on to the service');
    }
  }

  /** Well under the server's largest message (1 MB by default), so a batch never fails for its size. */
  private batchMaxBytes(): number {
    return Math.min(BATCH_MAX_BYTES, Math.floor((this.nc.info?.max_payload ?? 1024 * 1024) / 2));
  }

  private sendBatch(subject: string, batch: PendingBatch): void {
    if (this.batches.get(subject) === batch) this.batches.delete(subject);
    const items = batch.items;
    const started = performance.now();
    const h = natsHeaders();
    h.set(BATCH_HEADER, String(items.length));
    const ids = items.map((b) => b.requestId).filter(Boolean);
    if (ids.length) h.set('x-request-id', ids.join(','));
    const timeout = Math.max(...items.map((b) => b.timeoutMs ?? this.options.timeoutMs));
    const fail = (err: unknown) => {
      const e = this.unavailable(subject, err, started, items.length);
      for (const b of items) b.reject(e);
    };
    this.send(subject, `[${items.map((b) => b.data).join(',')}]`, timeout, h).then((msg) => {
      let replies: WireReply[];
      try {
        const body = msg.json<WireReply[] | WireReply>();
        // A server that refuses the whole message answers one reply (an error), not an array.
        replies = Array.isArray(body) ? body : items.map(() => body);
        if (replies.length !== items.length) throw new Error(`${replies.length} replies to ${items.length} requests`);
      } catch (err) {
        return fail(err);
      }
      items.forEach((b, i) => {
        try {
          b.resolve(this.answer(subject, replies[i], started));
        } catch (err) {
          b.reject(err);
        }
      });
    }, fail);
  }

  /**
   * One NATS request, answered on this client's own reply subscription (`<inbox>.*`, one token per
   * request): nats-core's `request` builds an Error, stack trace included, to cancel every request
   * it has already answered. A closed or draining connection refuses at once; nobody serving the
   * subject is known at once from the server's no-responders status (the caller gets its 503 either way).
   */
  private send(subject: string, data: string, timeoutMs: number | undefined, headers: MsgHdrs | undefined): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      try {
        const token = (++this.replySeq).toString(36);
        const ms = timeoutMs ?? this.options.timeoutMs;
        const timer = setTimeout(() => {
          this.awaiting.delete(token);
          reject(new Error(`no reply within ${ms} ms`));
        }, ms);
        this.awaiting.set(token, { resolve, reject, timer });
        try {
          this.nc.publish(this.options.subjectPrefix + subject, data, { reply: this.replyPrefix() + token, headers });
        } catch (err) {
          clearTimeout(timer);
          this.awaiting.delete(token);
          throw err;
        }
      } catch (err) {
        reject(err);
      }
    });
  }

  /** This client's reply subscription (made at the first request; the client restores it after a reconnect). */
  private replyPrefix(): string {
    if (!this.replies || this.replies.sub.isClosed()) {
      const prefix = `${createInbox()}.`;
      const sub = this.nc.subscribe(`${prefix}*`, { callback: (err, msg) => (err ? this.failAwaiting(err) : this.onReply(prefix, msg)) });
      this.replies = { prefix, sub };
    }
    return this.replies.prefix;
  }

  private onReply(prefix: string, msg: Msg): void {
    const token = msg.subject.slice(prefix.length);
    const w = this.awaiting.get(token);
    if (!w) return;
    this.awaiting.delete(token);
    clearTimeout(w.timer);
    if (msg.data.length === 0 && msg.headers?.code === 503) w.reject(new Error('no responders'));
    else w.resolve(msg);
  }

  private failAwaiting(err: Error): void {
    for (const w of this.awaiting.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.awaiting.clear();
  }

  private answer<T>(subject: string, reply: WireReply<T>, started: number): T {
    this.observer?.(subject, reply.e ? 'error' : 'ok', (performance.now() - started) / 1000);
    if (reply.e) throw AppError.fromWire(reply.e);
    return reply.d as T;
  }

  private unavailable(subject: string, err: unknown, started: number, requests = 1): AppError {
    for (let i = 0; i < requests; i++) this.observer?.(subject, 'unavailable', (performance.now() - started) / 1000);
    if (err instanceof AppError) return err;
    this.logger.warn(`Request ${subject} failed: ${(err as Error).message}`);
    return AppError.unavailable(subject.split('.')[0]);
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
    this.failAwaiting(new Error('connection closed'));
  }
}

