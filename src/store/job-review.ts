import type { StoredReviewState } from '../domain/suggestion-review.js';
import type { Executor } from './db.js';
import type { Row } from './schema.js';

/** The jobs whose suggestions a person reviews. */
const REVIEWABLE_KINDS = ['improve', 'clarify'];

/** What the review state of a job is made of, as the progress and session answers read it. */
export type JobReview = Pick<Row<'jobs'>, 'progress_id' | 'status' | 'review_state' | 'review_count' | 'applied_by'>;

/** Records what a reviewer did with a job's suggestions (or, on completion, that they wait). */
export async function setReviewState(db: Executor, jobId: number, state: StoredReviewState, opts: { count?: number; appliedBy?: string } = {}): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      review_state: state,
      ...(opts.count !== undefined ? { review_count: opts.count } : {}),
      ...(opts.appliedBy !== undefined ? { applied_by: opts.appliedBy } : {}),
    })
    .where('id', '=', jobId)
    .execute();
}

/**
 * The session's latest job whose suggestions are still waiting (wholly or in part): what an apply or
 * a discard in that session settles. Its id only: the row holds the job's whole result (megabytes
 * for an improve of thousands of scenarios).
 */
export function waitingReviewOfSession(db: Executor, sessionId: number): Promise<Pick<Row<'jobs'>, 'id'> | undefined> {
  return db
    .selectFrom('jobs')
    .select('id')
    .where('session_id', '=', sessionId)
    .where('kind', 'in', REVIEWABLE_KINDS)
    .where('review_state', 'in', ['to_review', 'partly_applied'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export interface SessionReview {
  latest?: JobReview;
  reviewable?: JobReview;
}

/**
 * Per session, its latest job and its latest reviewable job: a session is running or failed when
 * its latest job is, and otherwise shows what was done with its latest suggestions.
 */
export async function reviewsOfSessions(db: Executor, sessionIds: readonly number[]): Promise<Map<number, SessionReview>> {
  const out = new Map<number, SessionReview>();
  if (!sessionIds.length) return out;
  const columns = ['jobs.session_id', 'jobs.progress_id', 'jobs.status', 'jobs.review_state', 'jobs.review_count', 'jobs.applied_by'] as const;
  const latestIds = (q: 'any' | 'reviewable') =>
    db
      .selectFrom('jobs')
      .select((e) => e.fn.max('id').as('id'))
      .where('session_id', 'in', sessionIds as number[])
      .$if(q === 'reviewable', (b) => b.where('kind', 'in', REVIEWABLE_KINDS))
      .groupBy('session_id');
  const [latest, reviewable] = await Promise.all(
    (['any', 'reviewable'] as const).map((q) => db.selectFrom('jobs').select(columns).where('jobs.id', 'in', latestIds(q)).execute()),
  );
  for (const r of latest!) out.set(r.session_id!, { latest: r });
  for (const r of reviewable!) out.set(r.session_id!, { ...out.get(r.session_id!), reviewable: r });
  return out;
}
