/** Splits items into batches of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/**
 * Runs `work` over the batches with at most `limit` in flight, keeping each batch's own success or
 * failure: one batch failing never loses the others. Stops starting new batches once aborted, or
 * once a batch fails with an error `isFatal` says no other batch can escape (a rejected API key);
 * batches never started are left out of the results (their slots stay empty).
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function runBatches<T, R>(
  batches: readonly T[],
  limit: number,
  signal: AbortSignal,
  work: (batch: T, index: number) => Promise<R>,
  onSettled?: (index: number, settled: Settled<R>) => Promise<void> | void,
  isFatal: (error: unknown) => boolean = () => false,
): Promise<Array<Settled<R>>> {
  const results: Array<Settled<R>> = new Array(batches.length);
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (next < batches.length && !stopped) {
      signal.throwIfAborted();
      const i = next++;
      try {
        results[i] = { ok: true, value: await work(batches[i]!, i) };
      } catch (error) {
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
        results[i] = { ok: false, error };
        if (isFatal(error)) stopped = true;
      }
      await onSettled?.(i, results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, batches.length)) }, lane));
  return results;
}
