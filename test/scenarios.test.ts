import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario } from './helpers/agent.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let project: number;
let normal: number;
let angry: number;
let agent: number;

async function count(table: 'scenarios' | 'scenario_revisions' | 'folders'): Promise<number> {
  const r = await s.running.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

beforeAll(async () => {
  s = await startTestServer();
  project = s.defaultProjectId;
  const byName = async (name: string) =>
    (await s.running.store.db.selectFrom('personalities').select('id').where('name', '=', name).orderBy('id').executeTakeFirstOrThrow()).id;
  normal = await byName('Normal Male');
  angry = await byName('Angry Customer');
  // Agents are written straight to the store so this file depends on the scenarios routes alone.
  const now = new Date().toISOString();
  const org = await s.running.store.db.selectFrom('projects').select('organization_id').where('id', '=', project).executeTakeFirstOrThrow();
  agent = (
    await s.running.store.db
      .insertInto('aiagents')
      .values({
        organization_id: org.organization_id,
        project_id: project,
        agent_name: 'Billing bot',
        description: 'Billing',
        language: 'en',
        inbound: 1,
        assistant_id: 'asst_1',
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  expect((await s.api('POST', 'scenarios/create_folder/', { name: 'Sales', project_id: project })).status).toBe(201);
  expect((await s.api('POST', 'scenarios/create_folder/', { name: 'Inbound', parent_path: 'Sales', project_id: project })).status).toBe(201);
});
afterAll(async () => s?.stop());

const everyField = () => ({
  name: 'Refund request over the phone',
  agent,
  personality: normal,
  tags: ['billing', 'refund'],
  tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF'],
  metrics: [],
  first_message: 'Hi, I want my money back.',
  inbound_phone_number: null,
  instructions: 'Ask for a refund of your last bill.',
  simulation_description: 'A customer overcharged last month.',
  information_fields: { user_name: 'John Doe', order_id: '1234567890' },
  expected_outcome_prompt: 'The agent opens a refund ticket.',
  scenario_language: 'fr',
  scenario_type: 'instruction',
  suite_type: 'undefined',
  is_predefined: false,
  test_profile: null,
  dynamic_variable_values: null,
  generated_mock_tool_entries: [{ tool_id: 'T1', tool_name: 'lookup', new_entry: { input: { id: 1 }, output: { ok: true } } }],
  folder_path: 'Sales.Inbound',
  max_duration: 600,
});

describe('scenario create and read', () => {
  it('stores every field of the seed and reads it back equal', async () => {
    const input = everyField();
    const created = await createScenario(s.api, input);
    const { dynamic_variable_values, inbound_phone_number, ...rest } = input;
    expect(created).toMatchObject({ ...rest, project, agent_name: 'Billing bot', personality_name: 'Normal Male', revision: 1, phone_number: '' });
    expect(created.dynamic_variable_values).toBeNull();
    const read = await s.api('GET', `scenarios/${created.id}/`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created);
  });

  it('infers the project from the agent or from assistant_id', async () => {
    const viaAssistant = await createScenario(s.api, { name: 'By assistant', personality: normal, assistant_id: 'asst_1' });
    expect(viaAssistant).toMatchObject({ agent: agent, project });
  });

  it('conditional actions are accepted for their scenario type', async () => {
    const created = await createScenario(s.api, {
      name: 'Appointment',
      project,
      personality: normal,
      scenario_type: 'conditional_actions',
      conditional_actions: {
        role: 'You are a patient',
        conditions: [
          { id: 0, condition: 'FIRST_MESSAGE', action: 'Hi, I need an appointment', type: 'standard', fixed_message: true },
          { id: 1, condition: 'when the agent asks for your name', action: 'John Smith' },
        ],
      },
    });
    expect(created.conditional_actions.conditions[1]).toMatchObject({ type: 'standard', fixed_message: false });
  });

  it.each([
    ['a name over 80 characters', { name: 'x'.repeat(81) }, 'name'],
    ['a missing personality', { personality: undefined }, 'personality'],
    ['a max duration under 10 s', { max_duration: 5 }, 'max_duration'],
    ['a max duration over an hour', { max_duration: 3601 }, 'max_duration'],
    ['an unknown language', { scenario_language: 'xx' }, 'scenario_language'],
    ['an unknown scenario type', { scenario_type: 'freestyle' }, 'scenario_type'],
    ['a dynamic_variable_values write', { dynamic_variable_values: { a: 1 } }, 'dynamic_variable_values'],
    ['an unknown tool', { tool_ids: ['TOOL_TELEPORT'] }, 'tool_ids'],
    ['a folder that does not exist', { folder_path: 'Nowhere' }, 'folder_path'],
    ['a personality that does not exist', { personality: 999999 }, 'personality'],
    ['an unknown field', { colour: 'blue' }, 'colour'],
    ['conditional actions on an instruction scenario', { conditional_actions: { role: 'r', conditions: [] }, instructions: '' }, 'conditional_actions'],
    [
      'instructions and conditional actions both',
      { scenario_type: 'conditional_actions', conditional_actions: { role: 'r', conditions: [] } },
      'non_field_errors',
    ],
    ['tags that are not a list', { tags: 'billing' }, 'tags'],
  ])('rejects %s with a field error and writes nothing', async (_label, change, field) => {
    const before = await count('scenarios');
    const body: Record<string, unknown> = { ...everyField(), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete body[k];
    const res = await s.api('POST', 'scenarios/', body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body[field]).toEqual([expect.any(String)].concat(res.body[field].slice(1).map(() => expect.any(String))));
    expect(await count('scenarios')).toBe(before);
  });

  it('reports every problem of a write at once', async () => {
    const res = await s.api('POST', 'scenarios/', { ...everyField(), tool_ids: ['NOPE'], folder_path: 'Nope', personality: 424242 });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['folder_path', 'personality', 'tool_ids']);
  });

  it('needs an agent or a project', async () => {
    const res = await s.api('POST', 'scenarios/', { name: 'Orphan', personality: normal });
    expect(res).toMatchObject({ status: 400, body: { non_field_errors: [expect.any(String)] } });
  });
});

describe('revisions', () => {
  it('records who changed what, and reverts to an earlier revision as a new one', async () => {
    const sc = await createScenario(s.api, { name: 'Original', project, personality: normal, tags: ['a'] });
    const p1 = await s.api('PATCH', `scenarios/${sc.id}/`, { name: 'Renamed', max_duration: 120 });
    expect(p1.body).toMatchObject({ name: 'Renamed', max_duration: 120, revision: 2 });
    const p2 = await s.api('PATCH', `scenarios/${sc.id}/`, { personality: angry, tags: ['a', 'b'] });
    expect(p2.body).toMatchObject({ personality_name: 'Angry Customer', revision: 3 });

    const same = await s.api('PATCH', `scenarios/${sc.id}/`, { name: 'Renamed' });
    expect(same.body.revision).toBe(3);

    const revs = await s.api('GET', `scenarios/${sc.id}/revisions/`);
    expect(revs.status).toBe(200);
    expect(revs.body.count).toBe(3);
    expect(revs.body.results.map((r: any) => r.revision)).toEqual([3, 2, 1]);
    expect(revs.body.results[1]).toMatchObject({
      change_type: 'update',
      changed_fields: { name: { old: 'Original', new: 'Renamed' }, max_duration: { old: null, new: 120 } },
      actor: { key_id: expect.any(Number), name: expect.any(String) },
    });

    const reverted = await s.api('POST', `scenarios/${sc.id}/revert/`, { revision: 1 });
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ name: 'Original', max_duration: null, personality: normal, tags: ['a'], revision: 4 });
    const after = await s.api('GET', `scenarios/${sc.id}/revisions/`);
    expect(after.body.results[0]).toMatchObject({ revision: 4, change_type: 'revert' });

    expect((await s.api('POST', `scenarios/${sc.id}/revert/`, { revision: 99 })).status).toBe(400);
  });

  it('exposes the same revisions as history with restore', async () => {
    const sc = await createScenario(s.api, { name: 'H', project, personality: normal });
    await s.api('PATCH', `scenarios/${sc.id}/`, { first_message: 'Hello?' });
    const hist = await s.api('GET', `scenarios/${sc.id}/history/`);
    expect(hist.body.results[0]).toMatchObject({ history_type: '~', version_id: '2', history_user: null, first_message: 'Hello?' });
    const first = hist.body.results[1];
    expect(first.history_type).toBe('+');
    const restored = await s.api('POST', `scenarios/${sc.id}/restore/`, { history_id: first.history_id });
    expect(restored.body).toMatchObject({ first_message: '', revision: 3 });
    // Answered as the reference's V2 serializer: phone_number is a number's id, and there is none.
    expect(restored.body.phone_number).toBeNull();
  });

  it('a rejected update changes nothing and records no revision', async () => {
    const sc = await createScenario(s.api, { name: 'Stable', project, personality: normal });
    const revisions = await count('scenario_revisions');
    const res = await s.api('PATCH', `scenarios/${sc.id}/`, { name: 'ok', max_duration: 1 });
    expect(res.status).toBe(400);
    expect((await s.api('GET', `scenarios/${sc.id}/`)).body.name).toBe('Stable');
    expect(await count('scenario_revisions')).toBe(revisions);
  });
});

describe('bulk operations', () => {
  it('bulk create is all or nothing and names the failing item', async () => {
    const before = await count('scenarios');
    const bad = await s.api('POST', 'scenarios/bulk_create/', {
      scenarios: [
        { name: 'One', project, personality: normal },
        { name: 'Two', project, personality: normal, max_duration: 2 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('1.');
    expect(await count('scenarios')).toBe(before);
    const good = await s.api('POST', 'scenarios/bulk_create/', {
      scenarios: Array.from({ length: 50 }, (_, i) => ({ name: `Bulk ${i}`, project, personality: normal, tags: ['bulk'] })),
    });
    expect(good.status).toBe(201);
    expect(good.body).toHaveLength(50);
    expect(await count('scenarios')).toBe(before + 50);
  });

  it('adv_update changes many scenarios in one transaction', async () => {
    const list = await s.api('GET', `scenarios/?project_id=${project}&tags=bulk&page_size=5`);
    expect(list.body.count).toBe(50);
    const ids = list.body.results.map((r: any) => r.id);
    const res = await s.api('POST', 'scenarios/adv_update/', {
      scenarios: ids,
      project,
      tool_ids_to_add: ['TOOL_HOLD'],
      append_instruction: 'Stay polite.',
      max_duration: 300,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The reference documents one ScenarioList: the first scenario changed, with all of them in results.
    expect(res.body.count).toBe(ids.length);
    expect(res.body.results.map((sc: any) => sc.id)).toEqual([...ids].sort((a: number, b: number) => a - b));
    expect(res.body).toMatchObject({ id: Math.min(...ids), tool_ids: ['TOOL_HOLD'], instructions: 'Stay polite.', max_duration: 300, revision: 2 });
    for (const sc of res.body.results) expect(sc).toMatchObject({ tool_ids: ['TOOL_HOLD'], instructions: 'Stay polite.', max_duration: 300, revision: 2 });
    const bad = await s.api('POST', 'scenarios/adv_update/', { scenarios: ids, project, folder_path: 'Missing' });
    expect(bad.status).toBe(400);
    expect((await s.api('GET', `scenarios/${ids[0]}/`)).body.folder_path).toBeNull();
  });

  it('delete_scenarios removes the listed scenarios of the project', async () => {
    const list = await s.api('GET', `scenarios/?project_id=${project}&tags=bulk&page_size=3`);
    const ids = list.body.results.map((r: any) => r.id);
    expect((await s.api('POST', 'scenarios/delete_scenarios/', { scenarios: ids, project_id: project })).status).toBe(204);
    for (const id of ids) expect((await s.api('GET', `scenarios/${id}/`)).status).toBe(404);
  });
});

describe('listing', () => {
  it('filters by tags (or, and, not), folder and name, and paginates', async () => {
    await createScenario(s.api, { name: 'Tagged x', project, personality: normal, tags: ['x'] });
    await createScenario(s.api, { name: 'Tagged xy', project, personality: normal, tags: ['x', 'y'], folder_path: 'Sales' });
    const names = async (q: string) => (await s.api('GET', `scenarios/?project_id=${project}&page_size=1000&${q}`)).body.results.map((r: any) => r.name);
    expect(await names('tags=x,y')).toEqual(['Tagged x', 'Tagged xy']);
    expect(await names('tags=x,y&tag_filter_type=and')).toEqual(['Tagged xy']);
    expect(await names('tags=x&tag_filter_type=not')).not.toContain('Tagged x');
    expect(await names('folder_path=Sales')).toEqual(['Tagged xy']);
    expect(await names('folder_path=')).not.toContain('Tagged xy');
    expect(await names('search=Tagged')).toEqual(['Tagged x', 'Tagged xy']);
    const page = await s.api('GET', `scenarios/?project_id=${project}&page_size=2&page=2`);
    expect(page.body).toMatchObject({ results: expect.any(Array), next: expect.stringContaining('page=3'), previous: expect.stringContaining('page=1') });
    expect(page.body.results).toHaveLength(2);
  });

  it('lists folders of a project, requiring project_id', async () => {
    const res = await s.api('GET', `scenarios/folders/?project_id=${project}`);
    expect(res.body.results.map((f: any) => f.path)).toEqual(['Sales', 'Sales.Inbound']);
    expect((await s.api('GET', `scenarios/folders/?project_id=${project}&parent_path=Sales`)).body.results.map((f: any) => f.path)).toEqual(['Sales.Inbound']);
    expect((await s.api('GET', 'scenarios/folders/')).status).toBe(400);
    expect((await s.api('POST', 'scenarios/create_folder/', { name: 'Sales', project_id: project })).status).toBe(400);
    expect((await s.api('POST', 'scenarios/create_folder/', { name: 'Deep', parent_path: 'Missing', project_id: project })).status).toBe(400);
  });
});

describe('isolation', () => {
  it('another organization sees 404 for our scenarios and cannot reference our objects', async () => {
    const sc = await createScenario(s.api, { name: 'Private', project, personality: normal });
    const other = await s.otherOrganization();
    for (const [method, url, body] of [
      ['GET', `scenarios/${sc.id}/`],
      ['PATCH', `scenarios/${sc.id}/`, { name: 'pwned' }],
      ['PUT', `scenarios/${sc.id}/`, { name: 'pwned', personality: normal }],
      ['DELETE', `scenarios/${sc.id}/`],
      ['GET', `scenarios/${sc.id}/revisions/`],
      ['POST', `scenarios/${sc.id}/revert/`, { revision: 1 }],
    ] as const) {
      const res = await other.api(method, url, body);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    const list = await other.api('GET', `scenarios/?project_id=${project}`);
    expect(list.body.count).toBe(0);
    const steal = await other.api('POST', 'scenarios/', { name: 'x', project, personality: normal });
    expect(steal.status).toBe(400);
    expect((await s.api('GET', `scenarios/${sc.id}/`)).body.name).toBe('Private');
    const bulk = await other.api('POST', 'scenarios/delete_scenarios/', { scenarios: [sc.id], project_id: other.projectId });
    expect(bulk.status).toBe(400);
    expect((await s.api('GET', `scenarios/${sc.id}/`)).status).toBe(200);
  });
});
