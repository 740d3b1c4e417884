import type { ScenarioEngine } from '../../src/agent/engine.js';
import { createTestDatabase } from '../../test/helpers/pg.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import type { BenchContext } from './figures.js';

/**
 * A real server on 127.0.0.1 as a benchmark needs it: SQLite in a temp dir, or PostgreSQL in a
 * database created for it and dropped on stop.
 */
export async function startBenchServer(
  ctx: BenchContext,
  opts: { engine?: ScenarioEngine; worker?: boolean; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const database = ctx.pg ? await createTestDatabase() : null;
  try {
    const env = { ...(database ? { DATABASE_URL: database.url } : {}), ...opts.env };
    const server = await startTestServer(env, { engine: opts.engine, worker: opts.worker });
    return {
      ...server,
      async stop() {
        await server.stop();
        await database?.drop();
      },
    };
  } catch (err) {
    await database?.drop();
    throw err;
  }
}
