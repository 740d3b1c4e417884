import type { Kysely } from 'kysely';

/**
 * Why a failed job failed, as one word a client can act on (see domain/job-failure.ts): a job that
 * failed for a passing cause (the model timed out, its worker stopped, a budget ran out) can be
 * sent again as it was.
 */
export const jobFailureKind = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('jobs').addColumn('failure_kind', 'text').execute();
  },
};
