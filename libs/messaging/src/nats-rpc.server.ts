import { Logger } from '@nestjs/common';
import { type CustomTransportStrategy, type MessageHandler, NatsContext, Server } from '@nestjs/microservices';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { AppError, unstorableError } from '@vgp/contracts';
import { lastValueFrom } from 'rxjs';
import { connectNats } from './nats-connection.js';
import { type TurnBatcher, turnBatcherOf } from './turn-batcher.js';
import { BATCH_HEADER, encodeReply, toWireError, type WireReply } from './wire.js';

/**
 * Whether JSON bytes may hold text PostgreSQL cannot store: a NUL character (the escape
 * `\\u0000`; JSON never carries the raw byte) or a lone surrogate (only an escape `\\uD800`-
 * `\\uDFFF` can make one). A backslash search, so a message without one costs one native scan;
 * an escaped backslash followed by `u0000`, or a well-formed surrogate pair, is a false alarm the
 * walk then clears.
 */
export function mayHoldUnstorableText(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(0x5c); i !== -1 && i + 5 < bytes.length; i = bytes.indexOf(0x5c, i + 1)) {
    if (bytes[i + 1] !== 0x75) continue;
    const a = bytes[i + 2];
    const b = bytes[i + 3];
    if (a === 0x30 && b === 0x30 && bytes[i + 4] === 0x30 && bytes[i + 5] === 0x30) return true;
    // d or D, then 8-9, a-f or A-F
    if ((a === 0x64 || a === 0x44) && ((b >= 0x38 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46))) return true;
  }
  return false;
}

/**
 * How a message was handled: answered (`ok`), refused for what it asked (`rejected`: an AppError
 * under 500, such as a 404, 409, 422 or 429, the caller's doing) or failed (`error`: a 5xx or an
 * unexpected exception, the service's). Alerts watch `error` only: a client asking for a missing
 * job once a second fired NatsHandlerErrors when refusals counted as errors.
 */
export type HandledOutcome = 'ok' | 'rejected' | 'error';

/** The outcome of a message whose handler threw `err`. */
export function failureOutcome(err: unknown): HandledOutcome {
  return err instanceof AppError && err.status < 500 ? 'rejected' : 'error';
}

export interface HandledMessage {
  subject: string;
  outcome: HandledOutcome;
  seconds: number;
}

export interface NatsRpcServerOptions {
  servers: string;
  /** The service name: the queue group its replicas share. */
  queue: string;
  subjectPrefix?: string;
  /** Subjects every instance receives (no queue group), e.g. broadcast cancellations or health pings. */
  broadcast?: readonly string[];
  onHandled?: (m: HandledMessage) => void;
  /**
   * The process's connection (its `NatsClient`'s), shared instead of opening another: replies and
   * the publishes of the same turn then leave in one socket write. Its owner closes it.
   */
  connection?: () => NatsConnection | undefined;
}

/**
 * NestJS transport for `@MessagePattern`/`@EventPattern` handlers on NATS: one queue group per
 * service so replicas share the load, replies as `{ d }` or `{ e: WireError }`, subjects behind an
 * optional prefix. Written against the NATS client directly to avoid the per-request inbox and
 * stack-trace costs of the stock transport.
 */
export class NatsRpcServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger('NatsRpcServer');
  private nc?: NatsConnection;
  private readonly subs: Subscription[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private replies?: TurnBatcher;
  /** Whether the connection is this server's own (closed with it). */
  private owned = false;

  constructor(private readonly options: NatsRpcServerOptions) {
    super();
  }

  async listen(callback: (...args: unknown[]) => void): Promise<void> {
    try {
      const shared = this.options.connection?.();
      this.owned = !shared;
      this.nc = shared ?? (await connectNats({ servers: this.options.servers, name: `${this.options.queue}-server` }, this.logger));
      const nc = this.nc;
      this.replies = turnBatcherOf(nc, (err) => this.logger.warn(`NATS write failed: ${(err as Error).message}`));
      const prefix = this.options.subjectPrefix ?? '';
      const broadcast = new Set(this.options.broadcast ?? []);
      for (const [pattern, handler] of this.messageHandlers) {
        const queue = broadcast.has(pattern) ? undefined : this.options.queue;
        const sub = nc.subscribe(prefix + pattern, {
          queue,
          callback: (err, msg) => {
            if (err) {
              this.logger.error(`Subscription ${pattern} failed: ${err.message}`);
              return;
            }
            const p = this.dispatch(pattern, handler, msg).finally(() => this.inflight.delete(p));
            this.inflight.add(p);
          },
        });
        this.subs.push(sub);
      }
      this.logger.log(`Listening on ${this.messageHandlers.size} subjects as queue group "${this.options.queue}"`);
      callback();
    } catch (err) {
      callback(err);
    }
  }

  private async dispatch(pattern: string, handler: MessageHandler, msg: Msg): Promise<void> {
    const started = process.hrtime.bigint();
    let outcome: HandledOutcome = 'ok';
    let data: unknown;
    try {
      data = msg.data.length ? msg.json() : undefined;
    } catch {
      outcome = 'rejected';
      this.respond(msg, encodeReply({ e: { code: 'INVALID_INPUT', status: 400, message: 'Message is not valid JSON' } }));
      this.observe(pattern, outcome, started);
      return;
    }
    const ctx = new NatsContext([msg.subject, msg.headers]);
    // PostgreSQL stores no NUL character and no lone surrogate: a request holding one is answered 422 naming where, before its handler runs.
    const refuseNul = !!msg.reply && !handler.isEventHandler && mayHoldUnstorableText(msg.data);
    if (msg.headers?.has(BATCH_HEADER)) return this.dispatchBatch(pattern, handler, msg, data, ctx, started, refuseNul);
    try {
      const nul = refuseNul ? unstorableError(data, 'payload') : null;
      if (nul) throw nul;
      this.respond(msg, encodeReply({ d: await this.run(handler, data, ctx) }));
    } catch (err) {
      outcome = failureOutcome(err);
      if (msg.reply) this.respond(msg, encodeReply({ e: toWireError(err) }));
      else if (!handler.isEventHandler) this.logger.error(err);
    }
    this.observe(pattern, outcome, started);
  }

  /** The handler's answer to one request (null when it returns nothing). */
  private async run(handler: MessageHandler, data: unknown, ctx: NatsContext): Promise<unknown> {
    return (await lastValueFrom(this.transformToObservable(await handler(data, ctx)), { defaultValue: undefined })) ?? null;
  }

  /** A message of many requests (`NatsClient.requestBatched`): the handler runs for each, side by side; one array of replies, in order. */
  private async dispatchBatch(pattern: string, handler: MessageHandler, msg: Msg, data: unknown, ctx: NatsContext, started: bigint, refuseNul: boolean): Promise<void> {
    if (!Array.isArray(data)) {
      this.respond(msg, encodeReply({ e: { code: 'INVALID_INPUT', status: 400, message: 'A batch message must hold a JSON array' } }));
      this.observe(pattern, 'rejected', started);
      return;
    }
    const replies = await Promise.all(
      data.map(async (item): Promise<WireReply> => {
        try {
          // Only the requests holding such text are refused, never the whole message.
          const nul = refuseNul ? unstorableError(item, 'payload') : null;
          if (nul) throw nul;
          const d = await this.run(handler, item, ctx);
          this.observe(pattern, 'ok', started);
          return { d };
        } catch (err) {
          this.observe(pattern, failureOutcome(err), started);
          return { e: toWireError(err) };
        }
      }),
    );
    this.respond(msg, `[${replies.map(encodeReply).join(',')}]`);
  }

  private respond(msg: Msg, reply: Uint8Array | string): void {
    if (!msg.reply) return;
    // An answer larger than the server's largest message would never leave (the publish throws):
    // the caller is told at once instead of waiting for its timeout.
    const max = this.nc?.info?.max_payload ?? 1024 * 1024;
    const size = typeof reply === 'string' ? (reply.length * 3 > max ? Buffer.byteLength(reply) : 0) : reply.length;
    if (size > max) {
      this.logger.error(`The answer to ${msg.subject} is ${size} bytes, more than a message can carry (${max})`);
      reply = encodeReply({ e: { code: 'INTERNAL_ERROR', status: 500, message: 'The answer is too large to be sent' } });
    }
    this.replies?.run(() => msg.respond(reply));
  }

  private observe(subject: string, outcome: HandledOutcome, started: bigint): void {
    this.options.onHandled?.({ subject, outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
  }

  async close(): Promise<void> {
    // Stop taking messages, let the handlers under way reply, then close.
    for (const s of this.subs) s.unsubscribe();
    this.subs.length = 0;
    await Promise.allSettled([...this.inflight]);
    this.replies?.flush();
    if (this.nc && this.owned && !this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
  }

  on(): never {
    throw new Error('NatsRpcServer does not support event listeners');
  }

  unwrap<T>(): T {
    if (!this.nc) throw new Error('NatsRpcServer is not listening');
    return this.nc as T;
  }
}
