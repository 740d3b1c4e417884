/**
 * Lets the event loop run what is waiting (other requests' I/O, timers) before going on. A long
 * loop of awaits on work that is already done (the embedded database answers synchronously) runs
 * as microtasks and never lets anything else in; calling this every few hundred items does.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A counter that yields to the event loop once every `every` calls. */
export function yielder(every: number): () => Promise<void> | undefined {
  let n = 0;
  return () => (++n % every === 0 ? yieldToEventLoop() : undefined);
}
