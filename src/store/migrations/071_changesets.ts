import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * Every write that changes scenarios in bulk (an apply, an instructions apply, a bulk update, an
 * import, a generation, a revert) as one changeset: who, when, from which job and session, and per
 * scenario the content before and after, so the whole write can be shown as a diff and undone.
 * Items carry their scenario id without a foreign key: a revert must still find a scenario the
 * changeset created and someone deleted since, or one it deleted.
 */
export function changesets(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const id = (c: any) => (dialect === 'postgres' ? c : c.autoIncrement());
      const idType = dialect === 'postgres' ? 'serial' : 'integer';
      await db.schema
        .createTable('changesets')
        .addColumn('id', idType, (c) => id(c.primaryKey()))
        .addColumn('organization_id', 'integer', (c) => c.references('organizations.id').onDelete('cascade').notNull())
        .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade').notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('actor_key_id', 'integer')
        .addColumn('actor', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('job_id', 'integer', (c) => c.references('jobs.id').onDelete('set null'))
        .addColumn('session_id', 'integer', (c) => c.references('sessions.id').onDelete('set null'))
        .addColumn('reverts_changeset_id', 'integer')
        .addColumn('scenario_count', 'integer', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('changeset_items')
        .addColumn('id', idType, (c) => id(c.primaryKey()))
        .addColumn('changeset_id', 'integer', (c) => c.references('changesets.id').onDelete('cascade').notNull())
        .addColumn('organization_id', 'integer', (c) => c.notNull())
        .addColumn('scenario_id', 'integer', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('before', 'text')
        .addColumn('before_revision', 'integer')
        .addColumn('after', 'text')
        .addColumn('after_revision', 'integer')
        .addColumn('reverted_by', 'integer')
        .execute();
      await db.schema.createIndex('changesets_project').on('changesets').columns(['project_id', 'id']).execute();
      await db.schema.createIndex('changesets_session').on('changesets').columns(['session_id', 'id']).execute();
      await db.schema.createIndex('changesets_job').on('changesets').columns(['job_id']).execute();
      await db.schema.createIndex('changeset_items_changeset').on('changeset_items').columns(['changeset_id', 'id']).execute();
      await db.schema.createIndex('changeset_items_scenario').on('changeset_items').columns(['scenario_id', 'changeset_id']).execute();
    },
  };
}
