import { PostgresDialect } from 'kysely';
import pg from 'pg';

// COUNT(*) and BIGINT arrive as strings by default; our counts and ids fit in a JS number.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export function postgresDialect(url: string, poolSize: number): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return { dialect: new PostgresDialect({ pool }), pool };
}
