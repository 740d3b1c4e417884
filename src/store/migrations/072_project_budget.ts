import type { Kysely } from 'kysely';

/** A project's monthly budget for model calls, in USD (null: none); jobs stop before a call that would exceed it. */
export const projectBudget = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('projects').addColumn('monthly_budget', 'double precision').execute();
    // The usage report reads a project's jobs of one month.
    await db.schema.createIndex('jobs_project_created').on('jobs').columns(['project_id', 'created_at']).execute();
  },
};
