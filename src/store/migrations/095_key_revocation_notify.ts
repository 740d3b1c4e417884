import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect.js';
import { KEYS_CHANNEL } from '../job-events.js';

/**
 * On PostgreSQL the database itself says when a key stops being valid (revoked, re-scoped, deleted,
 * by the product or by hand), at the commit that does it, so every process empties its cache of
 * verified keys at once instead of reading the revocation stamp on each request. Only the columns
 * that decide what a key may do: recording its last use must not empty every cache.
 * SQLite has no channel between processes; there a write by another process is seen on the file.
 */
export const keyRevocationNotify = (dialect: DialectName) => ({
  async up(db: Kysely<any>): Promise<void> {
    if (dialect !== 'postgres') return;
    await sql
      .raw(`create or replace function scenarist_keys_changed() returns trigger language plpgsql as $$
        begin perform pg_notify('${KEYS_CHANNEL}', ''); return null; end $$`)
      .execute(db);
    await sql
      .raw(`create trigger api_keys_changed after update of revoked_at, project_id, organization_id, key_hash or delete on api_keys
        for each statement execute function scenarist_keys_changed()`)
      .execute(db);
  },
});
