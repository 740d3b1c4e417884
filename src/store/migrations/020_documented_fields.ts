import type { Kysely } from 'kysely';

/**
 * Fields the reference documents for a resource that Scenarist keeps without acting on them (an
 * agent's provider settings, a personality's voice, a metric's evaluation settings, a project's
 * notifications): one JSON object per row, so a client's writes are returned on read as it sent them.
 */
export const documentedFields = {
  async up(db: Kysely<any>): Promise<void> {
    for (const table of ['projects', 'aiagents', 'personalities', 'metrics']) {
      await db.schema
        .alterTable(table)
        .addColumn('documented', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
    }
  },
};
