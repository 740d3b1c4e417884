import crypto from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.SCENARIST_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when the PostgreSQL tests should run (CI sets SCENARIST_TEST_PG=1). */
export const pgEnabled = process.env.SCENARIST_TEST_PG === '1';

/** Creates a database of its own for one test file, so parallel runs never collide. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `scenarist_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The databases a suite runs on: SQLite always, PostgreSQL too with SCENARIST_TEST_PG=1 (CI's PG run). */
export const testDatabases = [{ name: 'sqlite' }, ...(pgEnabled ? [{ name: 'postgres' }] : [])];

/** A database of the named kind for one suite: the env that points a server at it, and how to drop it. */
export async function suiteDatabase(name: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (name !== 'postgres') return { env: {}, drop: async () => {} };
  const db = await createTestDatabase();
  return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
}
