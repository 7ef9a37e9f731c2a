/**
 * Runs `fn` over `items` with at most `parallel` at once. On a failure it starts nothing new and
 * waits for the ones running to settle before rethrowing: nothing keeps writing into a working
 * dir that the caller is about to remove.
 */
export async function runPool<T>(items: readonly T[], parallel: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
  if (failed) throw (failed as { err: unknown }).err;
}
