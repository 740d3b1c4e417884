import crypto from 'node:crypto';
import { NotFound } from '../domain/errors.js';
import { PREDEFINED_PERSONALITIES } from '../domain/personalities.js';
import type { Executor } from './db.js';
import type { Row } from './schema.js';

const KEY_PREFIX = 'sk_scn_';

// Every authenticated request hashes its key; the one-shot crypto.hash (Node ≥ 20.12) is about three times cheaper.
const sha256Hex: (data: string) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex');

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

export async function createOrganization(db: Executor, name: string, now: string): Promise<Row<'organizations'>> {
  const org = await db.insertInto('organizations').values({ name, created_at: now }).returningAll().executeTakeFirstOrThrow();
  await db
    .insertInto('personalities')
    .values(
      PREDEFINED_PERSONALITIES.map((p) => ({
        organization_id: org.id,
        project_id: null,
        name: p.name,
        description: p.description,
        prompt: p.description,
        language: p.language,
        accent: p.accent,
        is_predefined: 1,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return org;
}

export async function countOrganizations(db: Executor): Promise<number> {
  const row = await db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function getOrganization(db: Executor, id: number): Promise<Row<'organizations'>> {
  const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`Organization ${id} does not exist.`);
  return row;
}

export async function firstOrganization(db: Executor): Promise<Row<'organizations'> | undefined> {
  return db.selectFrom('organizations').selectAll().orderBy('id').limit(1).executeTakeFirst();
}

export async function organizationExists(db: Executor, id: number): Promise<boolean> {
  return !!(await db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst());
}

/** The label of a key, as revisions name who wrote them; undefined for a key that is gone. */
export async function apiKeyName(db: Executor, id: number): Promise<string | undefined> {
  return (await db.selectFrom('api_keys').select('name').where('id', '=', id).executeTakeFirst())?.name;
}

/** Creates a key and returns its only plaintext copy; the store keeps the hash alone. */
export async function createApiKey(
  db: Executor,
  organizationId: number,
  name: string,
  now: string,
): Promise<{ key: string; row: Row<'api_keys'> }> {
  const key = KEY_PREFIX + crypto.randomBytes(24).toString('base64url');
  const row = await db
    .insertInto('api_keys')
    .values({ organization_id: organizationId, name, prefix: key.slice(0, 12), key_hash: hashApiKey(key), created_at: now, revoked_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

export async function findApiKey(db: Executor, key: string): Promise<Row<'api_keys'> | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hashApiKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}
