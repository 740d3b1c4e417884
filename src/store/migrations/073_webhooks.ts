import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * A project's webhooks, and every delivery as a row: what to send, when to try next and what the
 * last try answered, so retries survive restarts and any worker process can send them.
 */
export function webhooks(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const idType = dialect === 'postgres' ? 'serial' : 'integer';
      const id = (c: any) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
      await db.schema
        .createTable('webhooks')
        .addColumn('id', idType, id)
        .addColumn('organization_id', 'integer', (c) => c.references('organizations.id').onDelete('cascade').notNull())
        .addColumn('project_id', 'integer', (c) => c.references('projects.id').onDelete('cascade').notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', idType, id)
        .addColumn('organization_id', 'integer', (c) => c.notNull())
        .addColumn('webhook_id', 'integer', (c) => c.references('webhooks.id').onDelete('cascade').notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('give_up_at', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_latency_ms', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .execute();
      await db.schema.createIndex('webhooks_project').on('webhooks').columns(['project_id', 'id']).execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
    },
  };
}
