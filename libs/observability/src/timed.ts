/** The outcome of one bounded probe. */
export interface TimedOutcome<T> {
  ok: boolean;
  value?: T;
  error?: string;
  response_time_ms: number;
}

/**
 * Runs `fn` raced against `timeoutMs` and measures it: never throws, a timeout or an error is an
 * outcome like any other.
 */
export async function timed<T>(fn: () => T | Promise<T>, timeoutMs: number): Promise<TimedOutcome<T>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const value = await Promise.race([Promise.resolve().then(fn), timeout]);
    return { ok: true, value, response_time_ms: elapsed(started) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err), response_time_ms: elapsed(started) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
