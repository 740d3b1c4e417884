import type { TokenUsage } from '../domain/jobs.js';
import type { Db, Executor } from './db.js';
import { type Lease, setProgress } from './jobs.js';

/**
 * Batches a job finished, kept with the job until it ends: a job claimed again after its worker
 * died reads them and sends the engine only the batches that are not among them.
 */
export interface KeptBatch {
  /** Names the batch by what it holds, so a batch is reused only for exactly the same work. */
  key: string;
  /** Units it counts as done on the progress bar. */
  units: number;
  /** The engine's answer or how it failed, as the job kind chose to record it (plain JSON). */
  outcome: unknown;
  /** What the batch cost, failed or not: counted once in the job's usage. */
  usage: TokenUsage;
}

/** The batches `jobId` has finished so far, under any attempt. */
export async function keptBatches(db: Executor, jobId: number): Promise<KeptBatch[]> {
  const rows = await db.selectFrom('job_batches').select(['batch_key', 'units', 'outcome', 'usage']).where('job_id', '=', jobId).execute();
  return rows.map((r) => ({ key: r.batch_key, units: r.units, outcome: JSON.parse(r.outcome), usage: JSON.parse(r.usage) as TokenUsage }));
}

/**
 * Keeps a finished batch and moves the job's progress (done, total and usage so far) in one
 * transaction, both guarded like every write after a claim: false when this worker no longer
 * owns a running job (cancelled, or claimed again), and then nothing is written.
 */
export async function keepBatch(
  db: Db,
  lease: Lease,
  batch: KeptBatch,
  progress: { done: number; total: number; usage: TokenUsage },
  now: string,
): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    // The guarded update first: it locks the job row, so a claim or cancel racing it waits or wins outright.
    if (!(await setProgress(tx, lease, progress.done, progress.total, progress.usage, now))) return false;
    await tx
      .insertInto('job_batches')
      .values({
        job_id: lease.jobId,
        batch_key: batch.key,
        attempt: lease.attempt,
        units: batch.units,
        outcome: JSON.stringify(batch.outcome),
        usage: JSON.stringify(batch.usage),
        created_at: now,
      })
      // The same batch twice in one job (a scenario listed twice) is one piece of work.
      .onConflict((oc) => oc.columns(['job_id', 'batch_key']).doNothing())
      .execute();
    return true;
  });
}

/** A job that ended needs its kept batches no more: its result holds what they produced. */
export async function dropKeptBatches(db: Executor, jobIds: readonly number[]): Promise<void> {
  if (jobIds.length) await db.deleteFrom('job_batches').where('job_id', 'in', jobIds).execute();
}
