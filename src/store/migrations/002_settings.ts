import type { Kysely } from 'kysely';

/** Process-wide facts of the installation; the `bootstrapped` row makes first-start setup happen once. */
export const settings = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};
