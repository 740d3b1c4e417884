import type { FailureKind } from '../domain/job-failure.js';
import { emptyUsage, type JobKind, type TokenUsage } from '../domain/jobs.js';
import { storableProblem } from '../domain/storable.js';
import { stoppedResult } from '../domain/suggestion.js';
import type { Row } from '../store/schema.js';
import type { JobOutcome } from './types.js';

type JobOf = Pick<Row<'jobs'>, 'kind' | 'session_id'>;

/** A failed outcome of the job's own kind, with a reason the user can read; it writes nothing. */
export function failedOutcome(job: JobOf, error: string, usage: TokenUsage = emptyUsage(), failure: FailureKind = 'error'): JobOutcome {
  return {
    status: 'failed',
    result: stoppedResult(job.kind as JobKind, error, { sessionId: job.session_id }),
    error,
    usage,
    reply: { content: error, toolCalls: [] },
    failure,
  };
}

/**
 * The outcome itself when the database can store all it carries (see domain/storable.ts), or a
 * failed one naming the part it cannot — checked before the final transaction, so a model answer
 * or an item with a NUL ends the job once, with that reason, instead of failing the write on every
 * retry. Usage stays: the model calls were made and paid for.
 */
export function storableOutcome(job: JobOf, outcome: JobOutcome): JobOutcome {
  const problem = storableProblem({ result: outcome.result, reply: outcome.reply.content, error: outcome.error }, 64);
  if (!problem) return outcome;
  const where = problem.path.slice(1).join('.');
  return failedOutcome(job, `The job's result cannot be stored (${where}: ${problem.message}) Nothing was written.`, outcome.usage, 'invalid_data');
}

/** The reason a write was refused for its data, as the job's error. */
export const refusedWrite = (err: unknown): string =>
  `The database refused the job's writes (${err instanceof Error ? err.message : String(err)}). Nothing was written.`;
