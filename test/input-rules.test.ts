import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, NUL_MESSAGE, storableProblem } from '../src/domain/storable.js';
import { createScenario, insertAgent, personalityIdFromStore } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('storableProblem', () => {
  it('finds a NUL in any string or key, with its path', () => {
    expect(storableProblem({ a: ['ok', 'b\u0000'] })).toEqual({ path: ['a', 1], message: NUL_MESSAGE });
    expect(storableProblem({ a: { 'k\u0000': 1 } })?.path).toEqual(['a', 'k\u0000']);
    expect(storableProblem({ a: 'fine', n: 2 ** 40, b: [null, true] })).toBeNull();
  });

  it('bounds nesting without recursing, however deep the value', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(storableProblem({ deep })?.path).toHaveLength(MAX_JSON_DEPTH);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH - 1; i++) ok = [ok];
    expect(storableProblem({ ok })).toBeNull();
  });
});

describe.each(testDatabases)('input rules on $name', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let scenario: any;
  let agent: number;
  let personality: number;
  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env);
    agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    personality = await personalityIdFromStore(s.running.store.db);
    scenario = await createScenario(s.api, { name: 'Target', agent, personality });
  });
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  it('a NUL in a body, a query string or a path is a 400 naming the field, and nothing is written', async () => {
    expect(await s.api('POST', 'scenarios/', { name: 'A\u0000B', agent, personality })).toMatchObject({ status: 400, body: { name: [NUL_MESSAGE] } });
    expect(await s.api('PATCH', `scenarios/${scenario.id}/`, { information_fields: { who: 'x\u0000' } })).toMatchObject({
      status: 400,
      body: { information_fields: [`who: ${NUL_MESSAGE}`] },
    });
    expect(await s.api('GET', 'scenarios/?search=a%00b')).toMatchObject({ status: 400, body: { search: [NUL_MESSAGE] } });
    expect(await s.api('GET', 'tools/TOOL%00X/')).toMatchObject({ status: 400, body: { tool_id: [NUL_MESSAGE] } });
    expect(
      await s.api('POST', 'scenarios/scenario-agent/', {
        apply_changes: true,
        updated_scenarios: [{ id: scenario.id, based_on_revision: 1, instructions: 'x\u0000' }],
      }),
    ).toMatchObject({ status: 400 });
    expect((await s.api('GET', `scenarios/${scenario.id}/`)).body.revision).toBe(1);
  });

  it('JSON nested thousands of levels deep, or a huge free-form field, is a 400', async () => {
    const deep = `${'{"a":'.repeat(4_100)}1${'}'.repeat(4_100)}`;
    const res = await s.api('PATCH', `scenarios/${scenario.id}/`, `{"information_fields":${deep}}`, { 'content-type': 'application/json' });
    expect(res).toMatchObject({ status: 400, body: { information_fields: [expect.stringContaining('nest at most')] } });
    const big = await s.api('POST', 'test-profiles/', { agent, name: 'Big', information: { blob: 'x'.repeat(200_000) } });
    expect(big).toMatchObject({ status: 400, body: { information: [expect.stringContaining('characters of JSON')] } });
  });

  it('integers beyond 32 bits in revert, restore and apply items are a 400', async () => {
    expect(await s.api('POST', `scenarios/${scenario.id}/revert/`, { revision: 2 ** 31 })).toMatchObject({
      status: 400,
      body: { revision: expect.any(Array) },
    });
    expect(await s.api('POST', `scenarios/${scenario.id}/restore/`, { history_id: 2 ** 31 })).toMatchObject({
      status: 400,
      body: { history_id: expect.any(Array) },
    });
    const apply = await s.api('POST', 'scenarios/scenario-agent/', {
      apply_changes: true,
      updated_scenarios: [{ id: 2 ** 31, based_on_revision: 1, name: 'x' }],
    });
    expect(apply).toMatchObject({ status: 400, body: { updated_scenarios: ['0.id: must be a scenario id.'] } });
  });

  it('path and query ids have one spelling: 0x1, +1, 01 and 1e0 are not 1', async () => {
    const id = scenario.id as number;
    expect((await s.api('GET', `scenarios/${id}/`)).status).toBe(200);
    for (const other of [`0x${id.toString(16)}`, `+${id}`, `0${id}`, `${id}e0`, `${id}.0`]) {
      expect((await s.api('GET', `scenarios/${other}/`)).status, other).toBe(404);
      expect(await s.api('GET', `scenarios/?project_id=0${s.defaultProjectId}`)).toMatchObject({
        status: 400,
        body: { project_id: ['A valid integer is required.'] },
      });
    }
  });

  it('a PATCH with nothing to change answers the object as it is, on every resource', async () => {
    await s.api('POST', 'tools/', { id: 'TOOL_LOOKUP', name: 'Lookup' });
    expect(await s.api('PATCH', 'tools/TOOL_LOOKUP/', {})).toMatchObject({ status: 200, body: { tool_id: 'TOOL_LOOKUP', name: 'Lookup' } });
    expect(await s.api('PATCH', `scenarios/${scenario.id}/`, {})).toMatchObject({ status: 200, body: { id: scenario.id } });
  });

  it('an over-long path segment is a 414 in the seed shape', async () => {
    expect(await s.api('GET', `scenarios/${'9'.repeat(300)}/`)).toMatchObject({ status: 414, body: { detail: expect.any(String) } });
  });
});
