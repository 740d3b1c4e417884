import type { Tx } from '../store/db.js';
import { setReviewState } from '../store/job-review.js';

/** The commit of an improve or clarify that suggests something: its suggestions wait for review, counted. */
export function awaitReview(jobId: number, count: number): ((tx: Tx) => Promise<void>) | undefined {
  return count ? (tx) => setReviewState(tx, jobId, 'to_review', { count }) : undefined;
}
