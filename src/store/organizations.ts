import crypto from 'node:crypto';
import { NotFound } from '../domain/errors.js';
import { PREDEFINED_PERSONALITIES } from '../domain/personalities.js';
import type { Db, Executor } from './db.js';
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
  const row = await db
    .selectFrom('organizations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
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
  projectId: number | null = null,
): Promise<{ key: string; row: Row<'api_keys'> }> {
  if (projectId !== null) {
    const p = await db.selectFrom('projects').select('id').where('id', '=', projectId).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!p) throw new NotFound(`Project ${projectId} is not in organization ${organizationId}.`);
  }
  const key = KEY_PREFIX + crypto.randomBytes(24).toString('base64url');
  const row = await db
    .insertInto('api_keys')
    .values({
      organization_id: organizationId,
      name,
      prefix: key.slice(0, 12),
      key_hash: hashApiKey(key),
      created_at: now,
      revoked_at: null,
      project_id: projectId,
      last_used_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row };
}

export async function findApiKey(db: Executor, key: string): Promise<Row<'api_keys'> | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashApiKey(key)).where('revoked_at', 'is', null).executeTakeFirst();
}

/** The project a key is limited to (null: the whole organization, or no such key). */
export async function keyProjectScope(db: Executor, keyId: number | null): Promise<number | null> {
  if (keyId === null) return null;
  return (await db.selectFrom('api_keys').select('project_id').where('id', '=', keyId).executeTakeFirst())?.project_id ?? null;
}

export function listOrganizations(db: Executor): Promise<Row<'organizations'>[]> {
  return db.selectFrom('organizations').selectAll().orderBy('id').execute();
}

export async function renameOrganization(db: Executor, id: number, name: string): Promise<Row<'organizations'>> {
  const row = await db.updateTable('organizations').set({ name }).where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw new NotFound(`Organization ${id} does not exist.`);
  return row;
}

/** A new organization ready to use: its predefined personalities, a "Default" project and a key (its only plaintext copy). */
export async function createOrganizationWithKey(
  db: Executor,
  name: string,
  now: string,
): Promise<{ organization: Row<'organizations'>; projectId: number; key: string }> {
  const organization = await createOrganization(db, name, now);
  const project = await db
    .insertInto('projects')
    .values({ organization_id: organization.id, name: 'Default', description: '', max_call_duration: null, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { key } = await createApiKey(db, organization.id, 'default', now);
  return { organization, projectId: project.id, key };
}

/** The organization's keys, newest last, without their hashes. */
export function listApiKeys(db: Executor, organizationId: number) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'organization_id', 'name', 'prefix', 'project_id', 'created_at', 'last_used_at', 'revoked_at'])
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
}

const REVOCATION_STAMP = 'keys_revoked';

/**
 * Revokes a key of the organization and moves the revocation stamp in the same transaction, so
 * every process (each checks the stamp before trusting its key cache) refuses the key from the
 * next request on. Revoking a revoked key changes nothing.
 */
export async function revokeApiKey(db: Db, organizationId: number, keyId: number, now: string): Promise<Row<'api_keys'>> {
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('api_keys').selectAll().where('id', '=', keyId).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFound(`Key ${keyId} does not exist.`);
    if (row.revoked_at) return row;
    const revoked = await tx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', keyId).returningAll().executeTakeFirstOrThrow();
    const stamp = `${now}#${keyId}`;
    const moved = await tx.updateTable('settings').set({ value: stamp }).where('key', '=', REVOCATION_STAMP).executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) await tx.insertInto('settings').values({ key: REVOCATION_STAMP, value: stamp, created_at: now }).execute();
    return revoked;
  });
}

/** The current revocation stamp: it changes whenever any key is revoked. */
export async function revocationStamp(db: Executor): Promise<string> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', REVOCATION_STAMP).executeTakeFirst();
  return row?.value ?? '';
}

export async function touchApiKey(db: Executor, keyId: number, now: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
}
