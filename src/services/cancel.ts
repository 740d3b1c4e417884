import { NotFound, ValidationError } from '../domain/errors.js';
import { endJob } from '../jobs/job-end.js';
import { findJobByProgressId, latestJobOfSession } from '../store/jobs.js';
import type { Row } from '../store/schema.js';
import { getSession } from '../store/sessions.js';
import { type Caller, nowOf, type ServiceContext } from './context.js';

export interface CancelTarget {
  session_id?: number;
  progress_id?: string;
}

export interface Cancelled {
  success: boolean;
  session_id: number | null;
  progress_id: string | null;
  status: string | null;
}

/**
 * Cancels a job named by its progress id, or a session's latest job. A job that already finished
 * keeps its state and the answer says which; cancelling twice answers the same state.
 */
export async function cancelAgentJob(ctx: ServiceContext, caller: Caller, target: CancelTarget): Promise<Cancelled> {
  const { db } = ctx.store;
  const { organizationId } = caller;
  const { session_id, progress_id } = target;
  if (!session_id && !progress_id) throw ValidationError.field('session_id', 'Send session_id or progress_id.');
  let job: Row<'jobs'> | undefined;
  if (progress_id) {
    job = await findJobByProgressId(db, organizationId, progress_id);
    if (!job) throw new NotFound('No job with this progress_id.');
  } else {
    await getSession(db, organizationId, session_id!);
    job = await latestJobOfSession(db, session_id!);
  }
  if (!job) return { success: false, session_id: session_id ?? null, progress_id: null, status: null };
  const cancelled = await endJob(ctx.store, { cause: 'cancelled', job }, nowOf(ctx));
  if (cancelled.length) ctx.abortJob?.(job.progress_id);
  const current = (await findJobByProgressId(db, organizationId, job.progress_id))!;
  return { success: current.status === 'cancelled', session_id: current.session_id, progress_id: current.progress_id, status: current.status };
}
