import type { Kysely } from 'kysely';

/** Why a job's last attempt failed, so a job given up after retries says why instead of blaming a worker. */
export const jobLastError = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('jobs').addColumn('last_error', 'text').execute();
  },
};
