import { createHash } from 'node:crypto';
import { isPassingError } from '../domain/job-failure.js';
import type { KeptBatch } from '../store/job-batches.js';
import type { Settled } from './batches.js';

/**
 * A batch's key: its scenarios at the revisions it saw. A job resumed after its worker died reuses
 * a kept batch only for exactly that work; a scenario edited in between is sent again. The list is
 * kept as its digest: the index on the key refuses entries over about 2.7 KB on PostgreSQL, which
 * the list of a batch of a few hundred scenarios (the offline engine's are thousands) exceeds.
 */
export const batchKey = (batch: ReadonlyArray<{ id: number; revision: number }>): string =>
  `sha256:${createHash('sha256')
    .update(batch.map((s) => `${s.id}@${s.revision}`).join(','))
    .digest('base64url')}`;

/** How a batch's outcome is kept: the engine's answer as it was, or the failure's message and whether it was fatal or of a passing cause. */
type KeptOutcome<R> = { ok: true; value: R } | { ok: false; error: string; fatal: boolean; retryable?: boolean };

export function keptOutcome<R>(settled: Settled<R>, isFatal: (e: unknown) => boolean): KeptOutcome<R> {
  if (settled.ok) return settled;
  const error = settled.error instanceof Error ? settled.error.message : String(settled.error);
  return { ok: false, error, fatal: isFatal(settled.error), ...(isPassingError(settled.error) ? { retryable: true } : {}) };
}

/** A kept batch as the batch's own run would have settled; a failure comes back an Error with its `fatal` and `retryable` marks. */
export function settledFromKept<R>(kept: KeptBatch): Settled<R> {
  const o = kept.outcome as KeptOutcome<R>;
  return o.ok ? o : { ok: false, error: Object.assign(new Error(o.error), o.fatal ? { fatal: true } : {}, o.retryable ? { retryable: true } : {}) };
}
