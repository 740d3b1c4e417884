import { yieldToEventLoop } from '../domain/event-loop.js';
import { type JobStatus, sessionStatusFor } from '../domain/jobs.js';
import type { Store } from '../store/db.js';
import { dropKeptBatches } from '../store/job-batches.js';
import { cancelJob, failExhausted, finishJob, type Lease } from '../store/jobs.js';
import type { Row } from '../store/schema.js';
import { appendTurn, type ToolCall, updateSession } from '../store/sessions.js';
import { emitJobEnded } from './job-events.js';
import type { JobOutcome } from './types.js';

/** How a job ends: its handler's outcome under the worker's lease, a user's cancel, or the sweep giving up on it. */
export type JobEnding =
  | { cause: 'outcome'; job: Row<'jobs'>; lease: Lease; outcome: JobOutcome }
  | { cause: 'cancelled'; job: Row<'jobs'> }
  | { cause: 'given_up'; at: Date };

/** The assistant's turn a cancelled job leaves in its session. */
export const CANCELLED_REPLY = 'Cancelled.';

interface Ended {
  job: Row<'jobs'>;
  status: JobStatus;
  reply: { content: string; toolCalls: ToolCall[] };
}

/** Rolls back an outcome's writes when the worker no longer owns the job (cancelled or claimed again meanwhile). */
class NotOurs extends Error {}

/**
 * The one place a job's end is written: the job's final row, its session's assistant turn and the
 * session's status, with any writes the outcome carries (apply), in one transaction, so none of
 * them exists without the others. Each row write is conditional, so of a worker finishing, a user
 * cancelling and a sweep giving up at once, exactly one ends the job. Returns the jobs it ended:
 * none when someone else got there first. Whoever follows an ended job (a stream, a long poll, a
 * cached poll) hears of it once the transaction is committed.
 *
 * An outcome whose `commit` throws `OutcomeInstead` rolls back and the error reaches the caller,
 * which ends the job with that outcome instead.
 */
export async function endJob(store: Store, ending: JobEnding, now: string): Promise<Row<'jobs'>[]> {
  const ended = await writeEnd(store, ending, now);
  for (const job of ended) store.jobEvents.changed(job.progress_id);
  return ended;
}

function writeEnd({ db }: Store, ending: JobEnding, now: string): Promise<Row<'jobs'>[]> {
  return db
    .transaction()
    .execute(async (tx) => {
      let ended: Ended[];
      switch (ending.cause) {
        case 'outcome': {
          const { job, lease, outcome } = ending;
          if (outcome.commit) {
            await outcome.commit(tx);
            // An apply's writes, the job's final row and the COMMIT each take tens of milliseconds at
            // thousands of changes; on SQLite other requests get turns between them.
            await yieldToEventLoop();
          }
          const won = await finishJob(
            tx,
            lease,
            {
              status: outcome.status,
              result: outcome.result,
              error: outcome.error,
              usage: outcome.usage,
              progressDone: outcome.progress?.done,
              progressTotal: outcome.progress?.total,
              failureKind: outcome.failure,
            },
            now,
          );
          if (!won) throw new NotOurs();
          // Read after the commit ran: an apply's reply names what it wrote.
          ended = [{ job, status: outcome.status, reply: outcome.reply }];
          break;
        }
        case 'cancelled':
          ended = (await cancelJob(tx, ending.job.id, now))
            ? [{ job: ending.job, status: 'cancelled', reply: { content: CANCELLED_REPLY, toolCalls: [] } }]
            : [];
          break;
        case 'given_up':
          ended = (await failExhausted(tx, ending.at)).map((job) => ({
            job,
            status: 'failed',
            reply: { content: job.error ?? 'The job failed.', toolCalls: [] },
          }));
          break;
      }
      // Webhooks hear of every end, whichever way it came, in the transaction that wrote it.
      for (const { job } of ended) await emitJobEnded(tx, job.id, now);
      // What an ended job's batches produced is in its result now.
      await dropKeptBatches(
        tx,
        ended.map((e) => e.job.id),
      );
      for (const { job, status, reply } of ended) {
        if (job.session_id === null) continue;
        await appendTurn(tx, job.session_id, { role: 'assistant', content: reply.content, toolCalls: reply.toolCalls, jobId: job.id }, now);
        await updateSession(tx, job.session_id, { status: sessionStatusFor(status) }, now);
      }
      if (ending.cause === 'outcome' && ending.outcome.commit) await yieldToEventLoop();
      return ended.map((e) => e.job);
    })
    .catch((err: unknown) => {
      if (err instanceof NotOurs) return [];
      throw err;
    });
}
