/**
 * Runs the writes asked for during one event-loop turn together, at its end (`setImmediate`).
 * The NATS client flushes its socket on a microtask, so a gateway that publishes one request per
 * incoming HTTP request makes one socket write per message; run together, the messages of a turn
 * leave in one write, which saves a system call per message here and in nats-server (about 14% of
 * the gateway's CPU when creating jobs). Order is kept: writes run in the order they were asked.
 */
export class TurnBatcher {
  private queue: Array<() => void> = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  run(write: () => void): void {
    this.queue.push(write);
    if (this.queue.length === 1) setImmediate(this.flush);
  }

  /** Runs what is waiting now (before the connection drains at shutdown). */
  readonly flush = (): void => {
    const writes = this.queue;
    this.queue = [];
    for (const write of writes) {
      try {
        write();
      } catch (err) {
        this.onError(err);
      }
    }
  };
}

const byConnection = new WeakMap<object, TurnBatcher>();

/**
 * The batcher of a connection: every writer on it (requests, publishes, RPC replies) shares it, so
 * what a turn writes on the connection leaves in one socket write.
 */
export function turnBatcherOf(connection: object, onError: (err: unknown) => void): TurnBatcher {
  let b = byConnection.get(connection);
  if (!b) {
    b = new TurnBatcher(onError);
    byConnection.set(connection, b);
  }
  return b;
}
