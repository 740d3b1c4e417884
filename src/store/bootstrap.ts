import { isUniqueViolation } from './data-errors.js';
import type { Store } from './db.js';
import { countOrganizations, createApiKey, createOrganization } from './organizations.js';

/**
 * On a database with no organization, creates the default organization, its "Default" project and
 * a key. Returns the key's only plaintext copy, or null when the database was already set up.
 * The `bootstrapped` settings row is written first: a second process starting at the same moment
 * waits on its primary key and then finds it taken, so setup happens exactly once.
 */
export async function bootstrap(store: Store, now: string): Promise<{ key: string; organizationId: number; projectId: number } | null> {
  try {
    return await store.db.transaction().execute(async (tx) => {
      const marker = await tx.selectFrom('settings').select('key').where('key', '=', 'bootstrapped').executeTakeFirst();
      if (marker) return null;
      await tx.insertInto('settings').values({ key: 'bootstrapped', value: 'true', created_at: now }).execute();
      if ((await countOrganizations(tx)) > 0) return null;
      const org = await createOrganization(tx, 'Default organization', now);
      const project = await tx
        .insertInto('projects')
        .values({ organization_id: org.id, name: 'Default', description: '', max_call_duration: null, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      const { key } = await createApiKey(tx, org.id, 'default', now);
      return { key, organizationId: org.id, projectId: project.id };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}
