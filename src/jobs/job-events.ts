import { isGeneration } from '../domain/generation.js';
import { progressOf } from '../domain/job-progress.js';
import { jobEventFor } from '../domain/webhooks.js';
import type { Executor } from '../store/db.js';
import { generationProgressView, instructionsProgressView } from '../store/progress-views.js';
import type { Row } from '../store/schema.js';
import { enqueueWebhookEvent } from '../store/webhooks.js';

/** The progress answer a job's own route gives: instructions-progress/, generate-progress/ or scenario-agent-progress/. */
async function progressAnswer(db: Executor, job: Row<'jobs'>): Promise<object> {
  if (job.kind === 'instructions') return instructionsProgressView(db, job);
  // An ended job lists what it created or drafted, not the rounds it kept on the way.
  if (isGeneration(job)) return generationProgressView(db, job.organization_id, job.progress_id, job, async () => []);
  return progressOf(job);
}

/**
 * Queues the webhook event of a job that just ended, in the transaction that ended it: the ids
 * and the same JSON its kind's progress answer gives.
 */
export async function emitJobEnded(db: Executor, jobId: number, now: string): Promise<void> {
  const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  const event = job && jobEventFor(job.status);
  if (!job || !event) return;
  await enqueueWebhookEvent(
    db,
    job.organization_id,
    job.project_id,
    event,
    async () => ({ ...(await progressAnswer(db, job)), project_id: job.project_id, kind: job.kind }),
    now,
  );
}
