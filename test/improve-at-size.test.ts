import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedScenarios } from '../bench/lib/seed.js';
import { batchKey } from '../src/jobs/kept-batches.js';
import { startJob, waitForJob } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('a kept batch key', () => {
  it('is short whatever the batch, and names its scenarios at their revisions', () => {
    const batch = Array.from({ length: 5_000 }, (_, i) => ({ id: 100_000 + i, revision: 7 }));
    expect(batchKey(batch).length).toBeLessThan(64);
    expect(batchKey(batch)).toBe(batchKey(batch.map((s) => ({ ...s }))));
    expect(batchKey(batch)).not.toBe(batchKey([...batch.slice(0, -1), { id: 104_999, revision: 8 }]));
  });
});

/**
 * The default engine batches thousands of scenarios at a time; each batch is kept with its job as it
 * finishes, under a key the database must be able to index.
 */
describe.each(testDatabases)('an improve of 2,000 scenarios on the offline engine, on $name', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env);
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  it('completes with a suggestion for every scenario', async () => {
    const { agentId } = await seedScenarios(s.running.store.db, s.defaultProjectId, 2_000);
    const { progress_id } = await startJob(s.api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' });
    const done = await waitForJob(s.api, progress_id, 60_000);
    expect(done.status, JSON.stringify(done.result?.message ?? done.error)).toBe('completed');
    expect(done.result.updated_scenarios).toHaveLength(2_000);
  }, 90_000);
});
