import type { Db, Tx } from '../store/db.js';
import { setReviewState, waitingReviewOfSession } from '../store/job-review.js';
import { markLatestPreview } from '../store/sessions.js';

/** The commit of an improve or clarify that suggests something: its suggestions wait for review, counted. */
export function awaitReview(jobId: number, count: number): ((tx: Tx) => Promise<void>) | undefined {
  return count ? (tx) => setReviewState(tx, jobId, 'to_review', { count }) : undefined;
}

/** Discards a session's latest suggestions: the next turn knows the user rejected them, and their job says discarded. */
export async function discardSessionSuggestions(db: Db, sessionId: number): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const marked = await markLatestPreview(tx, sessionId, 'discarded');
    const waiting = await waitingReviewOfSession(tx, sessionId);
    if (waiting) await setReviewState(tx, waiting.id, 'discarded');
    return marked || Boolean(waiting);
  });
}
