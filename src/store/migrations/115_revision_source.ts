import type { Kysely } from 'kysely';

/**
 * Where a revision's values came from: `source_progress_id` names the job whose suggestions an apply
 * wrote (so a later apply of the same job's other fields is told apart from someone else's edit),
 * and `edited_fields` lists, as JSON, the fields the reviewer corrected before applying.
 */
export const revisionSource = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('scenario_revisions').addColumn('source_progress_id', 'text').execute();
    await db.schema.alterTable('scenario_revisions').addColumn('edited_fields', 'text').execute();
  },
};
