import type { Kysely } from 'kysely';

/** Keys limited to one project, when they were last used, and the stamp every process checks to honour a revocation at once. */
export const keyScope = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .alterTable('api_keys')
      .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade'))
      .execute();
    await db.schema.alterTable('api_keys').addColumn('last_used_at', 'text').execute();
  },
};
