import type { Caller } from './auth.js';

/**
 * Recently verified API keys, so a client polling a job many times a second costs one key lookup
 * per `ttlMs` instead of one per request. Only keys that were found are kept (unknown keys always
 * reach the database, so a new key works at once and random keys cannot fill memory); a key
 * revoked in the database stops working within `ttlMs`.
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

  set(keyHash: string, caller: Caller, now: number): void {
    if (this.ttlMs <= 0) return;
    // Oldest first: a Map iterates in insertion order, so dropping from the front evicts the stalest.
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(keyHash, { caller, expires: now + this.ttlMs });
  }
}
