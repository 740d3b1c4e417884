import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectSuggestions } from '../src/domain/suggestion-review.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { twoFieldEngine } from './helpers/engines.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// A row lock held elsewhere is how a PostgreSQL transaction is made to outlast a lease on purpose.
describe.skipIf(!pgEnabled)('a job whose final transaction outlasts its lease (postgres)', () => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    s = await startTestServer({ DATABASE_URL: database.url, SCENARIST_LEASE_MS: '400', SCENARIST_HEARTBEAT_MS: '100' }, { engine: twoFieldEngine() });
  });
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  it('keeps its lease while the apply writes, so it is not claimed again and ends once, applied', async () => {
    const personality = await personalityIdFromStore(s.running.store.db);
    const agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    const [a, b] = [
      await createScenario(s.api, { name: 'Held', personality, agent, tags: ['x'], instructions: 'Call.' }),
      await createScenario(s.api, { name: 'Free', personality, agent, tags: ['x'], instructions: 'Call.' }),
    ];
    const improved = await startJob(s.api, { scenarios: [a.id, b.id], user_message: 'tag them', project_id: s.defaultProjectId });
    const items = (await waitForJob(s.api, improved.progress_id)).result.updated_scenarios;

    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select id from scenarios where id = $1 for update', [a.id]);
      const apply = await startJob(s.api, {
        apply_changes: true,
        updated_scenarios: selectSuggestions(items, { fields: ['tags'] }),
        session_id: improved.session_id,
      });
      // Five leases long, the apply waits on the row; its lease must hold all the while.
      await new Promise((r) => setTimeout(r, 2_000));
      const row = await s.running.store.db
        .selectFrom('jobs')
        .select(['status', 'attempts'])
        .where('progress_id', '=', apply.progress_id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'in_progress', attempts: 1 });
      await other.query('commit');
      const done = await waitForJob(s.api, apply.progress_id);
      expect(done).toMatchObject({ status: 'completed', result: { success: true, applied_scenario_ids: [a.id, b.id] } });
      expect((await s.api('GET', `scenarios/${a.id}/`)).body).toMatchObject({ revision: 2, tags: ['x', 'reviewed'] });
    } finally {
      await other.end();
    }
  });
});
