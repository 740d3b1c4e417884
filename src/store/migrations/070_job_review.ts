import type { Kysely } from 'kysely';

/**
 * What a reviewer did with a job's suggestions, beside the job's own status: an improve or clarify
 * job that completed is `to_review` (with how many suggestions wait) until an apply or a discard
 * settles it; `applied_by` names the apply job, so applying the same suggestions twice is told apart
 * from a conflict.
 */
export const jobReview = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('jobs').addColumn('review_state', 'text').execute();
    await db.schema.alterTable('jobs').addColumn('review_count', 'integer').execute();
    await db.schema.alterTable('jobs').addColumn('applied_by', 'text').execute();
  },
};
