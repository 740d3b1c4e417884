import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// Small limits so the test sends small bodies: writes stay under SCENARIST_BODY_LIMIT, while an
// apply, which carries a whole improve result back, may be as large as SCENARIST_APPLY_BODY_LIMIT.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ SCENARIST_BODY_LIMIT: '4096', SCENARIST_APPLY_BODY_LIMIT: '65536' });
});
afterAll(async () => s?.stop());

describe('body limits', () => {
  it('an apply larger than the ordinary body limit is accepted and applied in one call', async () => {
    const agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    const personality = await personalityIdFromStore(s.running.store.db);
    const ids: number[] = [];
    for (let i = 0; i < 8; i++) ids.push((await createScenario(s.api, { name: `Long ${i}`, agent, personality })).id);
    const long = 'Say your account number slowly. '.repeat(40);
    const items = ids.map((id) => ({ id, based_on_revision: 1, instructions: long }));
    expect(JSON.stringify({ apply_changes: true, updated_scenarios: items }).length).toBeGreaterThan(4096);

    expect((await s.api('POST', 'scenarios/', { name: 'Too long', agent, personality, instructions: long.repeat(4) })).status).toBe(413);
    const done = await waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: items })).progress_id);
    expect(done.result.applied_scenario_ids).toEqual(ids);
    expect((await s.api('GET', `scenarios/${ids[7]}/`)).body.instructions).toBe(long);
  });

  it('an apply above its own limit is a 413 and writes nothing', async () => {
    const before = await s.running.store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const huge = [{ id: 1, based_on_revision: 1, instructions: 'x'.repeat(70_000) }];
    const res = await s.api('POST', 'scenarios/scenario-agent/', { apply_changes: true, updated_scenarios: huge });
    expect(res).toMatchObject({ status: 413, body: { detail: expect.any(String) } });
    const after = await s.running.store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
