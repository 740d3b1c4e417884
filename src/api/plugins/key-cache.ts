import type { Caller } from './auth.js';

/**
 * Recently verified API keys, so a client polling a job many times a second costs one key lookup
 * per `ttlMs` instead of one per request. Only keys that were found are kept (unknown keys always
 * reach the database, so a new key works at once and random keys cannot fill memory). Word of a
 * revocation in any process empties the cache (see auth.ts and store/job-events.ts); a key revoked
 * by hand in the database stops working within `ttlMs` (at once on PostgreSQL, whose trigger
 * sends the word).
 */
export class KeyCache {
  readonly #entries = new Map<string, { caller: Caller; expires: number }>();
  #epoch = 0;

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

  /** Moves each time the cache is emptied: a key read before a revocation was heard must not be kept after it. */
  get epoch(): number {
    return this.#epoch;
  }

  clear(): void {
    this.#entries.clear();
    this.#epoch++;
  }

  /** Keeps a verified key; `readAt` is the epoch when its row was read, if the read took a while. */
  set(keyHash: string, caller: Caller, now: number, readAt = this.#epoch): void {
    if (this.ttlMs <= 0 || readAt !== this.#epoch) return;
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
