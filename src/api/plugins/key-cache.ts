import type { Caller } from './auth.js';

/**
 * Recently verified API keys, so a client polling a job many times a second costs one key lookup
 * per `ttlMs` instead of one per request. Only keys that were found are kept (unknown keys always
 * reach the database, so a new key works at once and random keys cannot fill memory). A key
 * revoked through the product moves the revocation stamp, which empties the cache (see auth.ts);
 * a key revoked by hand in the database stops working within `ttlMs`.
 */
export class KeyCache {
  readonly #entries = new Map<string, { caller: Caller; expires: number }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries = 10_000,
  ) {}

  get(keyHash: string, now: number): Caller | undefined {
    const hit = this.#entries.get(keyHash);
    if (!hit) return undefined;
    if (hit.expires > now) return hit.caller;
    this.#entries.delete(keyHash);
    return undefined;
  }

  clear(): void {
    this.#entries.clear();
  }

  set(keyHash: string, caller: Caller, now: number): void {
    if (this.ttlMs <= 0) return;
    // Oldest first: a Map iterates in insertion order, so dropping from the front evicts the stalest.
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(keyHash, { caller, expires: now + this.ttlMs });
  }
}

/**
 * A value read from the database at most once at a time, shared by the requests that wait for it,
 * and never older than the request asking: a caller joins only a read that begins after it asked
 * (the one in flight may predate a revocation), so a revoked key fails from the next request on
 * while a burst of requests costs one read, not one each.
 */
export class FreshRead<T> {
  #inFlight: Promise<T> | null = null;
  #next: Promise<T> | null = null;

  constructor(readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.#inFlight) return this.#start();
    const after = () => {
      this.#next = null;
      return this.#start();
    };
    this.#next ??= this.#inFlight.then(after, after);
    return this.#next;
  }

  #start(): Promise<T> {
    const read: Promise<T> = this.load().finally(() => {
      if (this.#inFlight === read) this.#inFlight = null;
    });
    this.#inFlight = read;
    return read;
  }
}
