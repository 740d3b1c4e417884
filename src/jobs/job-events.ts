import { progressOf } from '../domain/job-progress.js';
import { jobEventFor } from '../domain/webhooks.js';
import type { Executor } from '../store/db.js';
import { enqueueWebhookEvent } from '../store/webhooks.js';

/**
 * Queues the webhook event of a job that just ended, in the transaction that ended it: the ids
 * and the same JSON its progress answer gives.
 */
export async function emitJobEnded(db: Executor, jobId: number, now: string): Promise<void> {
  const job = await db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  const event = job && jobEventFor(job.status);
  if (!job || !event) return;
  await enqueueWebhookEvent(db, job.organization_id, job.project_id, event, { ...progressOf(job), project_id: job.project_id, kind: job.kind }, now);
}
