import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForInstructions, waitForJob } from './helpers/agent.js';
import { ScriptedEngine } from './helpers/engines.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Changesets as a client sees them: every bulk write listed, shown as a diff, and undone in one call. */

let s: TestServer;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let project: number;
let agent: number;
let personality: number;

beforeAll(async () => {
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer(pgDb ? { DATABASE_URL: pgDb.url } : {}, { engine: new ScriptedEngine() });
  project = s.defaultProjectId;
  agent = await insertAgent(s.running.store.db, project);
  personality = await personalityIdFromStore(s.running.store.db);
});
afterAll(async () => {
  await s?.stop();
  await pgDb?.drop();
});

const scenario = async (id: number) => (await s.api('GET', `scenarios/${id}/`)).body;

async function bulkCreate(n: number, prefix: string): Promise<number[]> {
  const res = await s.api('POST', 'scenarios/bulk_create/', {
    scenarios: Array.from({ length: n }, (_, i) => ({ name: `${prefix} ${i}`, agent, personality, tags: ['base'] })),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.map((x: { id: number }) => x.id);
}

describe('an apply of 50 scenarios', () => {
  let ids: number[];
  let sessionId: number;
  let progressId: string;
  let changesetId: number;
  let createdId: number;

  beforeAll(async () => {
    ids = await bulkCreate(50, 'Fifty');
    const items = [
      ...ids.map((id) => ({ id, based_on_revision: 1, max_duration: 120, tags: ['base', 'billing'] })),
      { name: 'Drafted by the apply', personality, agent, instructions: 'Ask about a refund.' },
    ];
    const started = await startJob(s.api, { apply_changes: true, updated_scenarios: items, project_id: project });
    sessionId = started.session_id;
    progressId = started.progress_id;
    const done = await waitForJob(s.api, progressId);
    expect(done.result).toMatchObject({
      success: true,
      applied_scenario_ids: ids,
      created_scenario_ids: [expect.any(Number)],
      changeset_id: expect.any(Number),
    });
    changesetId = done.result.changeset_id;
    createdId = done.result.created_scenario_ids[0];
  });

  it('is one changeset, listed by project, session, job and scenario', async () => {
    const expected = {
      id: changesetId,
      project,
      kind: 'apply',
      progress_id: progressId,
      session_id: sessionId,
      status: 'applied',
      scenario_count: 51,
      reverted_count: 0,
      reverted_by: [],
      reverts: null,
      fields: expect.arrayContaining(['max_duration', 'tags', 'name']),
      actor: expect.any(String),
    };
    for (const q of [`project_id=${project}`, `session_id=${sessionId}`, `progress_id=${progressId}`, `scenario_id=${ids[7]}`]) {
      const res = await s.api('GET', `changesets/?${q}`);
      expect(res.status).toBe(200);
      expect(res.body.results[0], q).toMatchObject(expected);
    }
    expect((await s.api('GET', `changesets/?session_id=${sessionId}`)).body.count).toBe(1);
  });

  it('shows as a diff, field by field', async () => {
    const res = await s.api('GET', `changesets/${changesetId}/`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(51);
    expect(res.body.items[0]).toEqual({
      scenario_id: ids[0],
      scenario_name: 'Fifty 0',
      action: 'update',
      changes: { max_duration: { old: null, new: 120 }, tags: { old: ['base'], new: ['base', 'billing'] } },
      before_revision: 1,
      after_revision: 2,
      reverted_by: null,
    });
    expect(res.body.items.at(-1)).toMatchObject({
      scenario_id: createdId,
      action: 'create',
      scenario_name: 'Drafted by the apply',
      changes: { instructions: { old: null, new: 'Ask about a refund.' } },
    });
    const page = await s.api('GET', `changesets/${changesetId}/?page=2&page_size=20`);
    expect(page.body.items.map((i: any) => i.scenario_id)).toEqual(ids.slice(20, 40));
  });

  it('reverts in one call, leaving a scenario edited since as a named conflict; force finishes it; the revert can be reverted', async () => {
    const edited = ids[3]!;
    expect((await s.api('PATCH', `scenarios/${edited}/`, { name: 'Edited by hand' })).status).toBe(200);
    const revisionsOf = () => s.running.store.db.selectFrom('scenario_revisions').select('id').where('scenario_id', 'in', ids).execute();
    const revisionsBefore = await revisionsOf();

    const res = await s.api('POST', `changesets/${changesetId}/revert/`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      changeset_id: changesetId,
      revert_changeset_id: expect.any(Number),
      reverted_scenario_ids: ids.filter((id) => id !== edited),
      deleted_scenario_ids: [createdId],
      restored_scenario_ids: [],
      conflicts: [{ scenario_id: edited, reason: 'changed', expected_revision: 2, current_revision: 3, message: expect.stringContaining('force') }],
    });
    // One new revision per reverted scenario, and none for the conflict.
    const revisionsAfter = await revisionsOf();
    expect(revisionsAfter.length - revisionsBefore.length).toBe(49);
    expect(await scenario(ids[0]!)).toMatchObject({ max_duration: null, tags: ['base'], revision: 3 });
    expect(await scenario(edited)).toMatchObject({ name: 'Edited by hand', max_duration: 120, revision: 3 });
    expect((await s.api('GET', `scenarios/${createdId}/`)).status).toBe(404);
    const revs = (await s.api('GET', `scenarios/${ids[0]}/revisions/`)).body.results;
    expect(revs[0]).toMatchObject({ revision: 3, change_type: 'revert', changed_fields: { max_duration: { old: 120, new: null } } });

    const listed = (await s.api('GET', `changesets/${changesetId}/`)).body;
    expect(listed).toMatchObject({ status: 'partly_reverted', reverted_count: 50, reverted_by: [res.body.revert_changeset_id] });

    // Again: only the held-back scenario is left, and it is still a conflict without force.
    const again = await s.api('POST', `changesets/${changesetId}/revert/`);
    expect(again.body).toMatchObject({ revert_changeset_id: null, reverted_scenario_ids: [], conflicts: [{ scenario_id: edited }] });
    const forced = await s.api('POST', `changesets/${changesetId}/revert/`, { force: true });
    expect(forced.body).toMatchObject({ reverted_scenario_ids: [edited], conflicts: [] });
    // Only the fields the apply changed go back; the hand edit stays.
    expect(await scenario(edited)).toMatchObject({ name: 'Edited by hand', max_duration: null, tags: ['base'], revision: 4 });
    expect((await s.api('GET', `changesets/${changesetId}/`)).body.status).toBe('reverted');
    const done = await s.api('POST', `changesets/${changesetId}/revert/`, { force: true });
    expect(done.status).toBe(409);
    expect(done.body.detail).toMatch(/already reverted/);

    // Reverting the revert redoes the apply, bringing back the scenario it had deleted under its id.
    const redo = await s.api('POST', `changesets/${res.body.revert_changeset_id}/revert/`);
    expect(redo.body).toMatchObject({ restored_scenario_ids: [createdId], reverted_scenario_ids: ids.filter((id) => id !== edited), conflicts: [] });
    expect(await scenario(createdId)).toMatchObject({ name: 'Drafted by the apply', instructions: 'Ask about a refund.' });
    expect(await scenario(ids[0]!)).toMatchObject({ max_duration: 120, tags: ['base', 'billing'], revision: 4 });
  });
});

describe('other writes that change scenarios in bulk', () => {
  it('a bulk update is a changeset that reverts', async () => {
    const ids = await bulkCreate(3, 'Bulk');
    const res = await s.api('POST', 'scenarios/adv_update/', { scenarios: ids, project, tool_ids_to_add: ['TOOL_DTMF'], append_instruction: 'Be brief.' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [latest] = (await s.api('GET', `changesets/?scenario_id=${ids[0]}`)).body.results;
    expect(latest).toMatchObject({ kind: 'bulk_update', scenario_count: 3, fields: ['instructions', 'tool_ids'] });
    const reverted = await s.api('POST', `changesets/${latest.id}/revert/`);
    expect(reverted.body.reverted_scenario_ids).toEqual(ids);
    expect(await scenario(ids[1]!)).toMatchObject({ tool_ids: [], instructions: '' });
  });

  it('a bulk create is a changeset whose revert deletes what it created', async () => {
    const ids = await bulkCreate(2, 'Created');
    const [latest] = (await s.api('GET', `changesets/?scenario_id=${ids[0]}`)).body.results;
    expect(latest).toMatchObject({ kind: 'bulk_create', scenario_count: 2 });
    const reverted = await s.api('POST', `changesets/${latest.id}/revert/`);
    expect(reverted.body.deleted_scenario_ids).toEqual(ids);
    expect((await s.api('GET', `scenarios/${ids[0]}/`)).status).toBe(404);
  });

  it('a one-shot improve-and-apply is a changeset of its job', async () => {
    const ids = await bulkCreate(2, 'One shot');
    const started = await startJob(s.api, { scenarios: ids, user_message: 'Add a greeting', apply_changes: true });
    const done = await waitForJob(s.api, started.progress_id);
    expect(done.result).toMatchObject({ applied_scenario_ids: ids, changeset_id: expect.any(Number) });
    const shown = (await s.api('GET', `changesets/${done.result.changeset_id}/`)).body;
    expect(shown).toMatchObject({ kind: 'apply', progress_id: started.progress_id, session_id: started.session_id, scenario_count: 2 });
    expect((await s.api('POST', `changesets/${shown.id}/revert/`)).body.reverted_scenario_ids).toEqual(ids);
    expect((await scenario(ids[0]!)).first_message).toBe('');
  });

  it('an instructions apply is a changeset of its job', async () => {
    const sc = await createScenario(s.api, { name: 'Upgrade plan', agent, personality, instructions: 'Ask for the unlimited plan.' });
    const started = await s.api('POST', 'scenarios/generate-instructions/', { scenario: sc.id, agent, extra_instructions: 'Mention the current plan' });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    await waitForInstructions(s.api, started.body.progress_id);
    expect((await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id: started.body.progress_id })).status).toBe(200);
    const list = (await s.api('GET', `changesets/?progress_id=${started.body.progress_id}`)).body;
    expect(list.results).toEqual([expect.objectContaining({ kind: 'instructions', scenario_count: 1, fields: ['expected_outcome_prompt', 'instructions'] })]);
    await s.api('POST', `changesets/${list.results[0].id}/revert/`);
    expect((await scenario(sc.id)).instructions).toBe('Ask for the unlimited plan.');
  });

  it('an import is one changeset of its creates, updates and deletes; one bad item refuses it all, by list and index', async () => {
    const [kept, gone] = await bulkCreate(2, 'Before import');
    const body = {
      project_id: project,
      create: [
        { name: 'Imported A', agent, personality },
        { name: 'Imported B', personality },
      ],
      update: [{ id: kept, fields: { tags: ['imported'] } }],
      delete: [gone],
    };
    const refused = await s.api('POST', 'scenarios/import/', { ...body, create: [...body.create, { name: 'Bad', personality: 999999 }] });
    expect(refused).toMatchObject({ status: 400, body: { create: [expect.stringMatching(/^2\.personality: /)] } });
    expect((await s.api('POST', 'scenarios/import/', { ...body, delete: [kept] })).body).toEqual({
      delete: [`0: scenario ${kept} is already in update; name each scenario once.`],
    });
    expect((await scenario(kept!)).tags).toEqual(['base']);
    expect((await s.api('GET', `scenarios/${gone}/`)).status).toBe(200);

    const res = await s.api('POST', 'scenarios/import/', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ changeset_id: expect.any(Number), created: [expect.any(Number), expect.any(Number)], updated: [kept], deleted: [gone] });
    const shown = (await s.api('GET', `changesets/${res.body.changeset_id}/`)).body;
    expect(shown).toMatchObject({ kind: 'import', scenario_count: 4 });
    const reverted = (await s.api('POST', `changesets/${shown.id}/revert/`)).body;
    expect(reverted).toMatchObject({ reverted_scenario_ids: [kept], deleted_scenario_ids: res.body.created, restored_scenario_ids: [gone], conflicts: [] });
    for (const id of res.body.created) expect((await s.api('GET', `scenarios/${id}/`)).status).toBe(404);
    expect((await scenario(gone!)).name).toBe('Before import 1');
    expect((await scenario(kept!)).tags).toEqual(['base']);
  });

  it('a write that changes nothing records no changeset', async () => {
    const ids = await bulkCreate(1, 'Same');
    const before = (await s.api('GET', 'changesets/')).body.count;
    await s.api('POST', 'scenarios/adv_update/', { scenarios: ids, project, max_duration: null });
    expect((await s.api('GET', 'changesets/')).body.count).toBe(before);
  });
});

describe('bad input and other organizations', () => {
  it('answers 400 and 404 and changes nothing', async () => {
    const [latest] = (await s.api('GET', 'changesets/')).body.results;
    expect((await s.api('POST', `changesets/${latest.id}/revert/`, { force: 'yes' })).status).toBe(400);
    expect((await s.api('POST', `changesets/${latest.id}/revert/`, { forse: true })).status).toBe(400);
    expect((await s.api('GET', 'changesets/?project_id=abc')).status).toBe(400);
    expect((await s.api('GET', 'changesets/99999/')).status).toBe(404);
    expect((await s.api('GET', 'changesets/nope/')).status).toBe(404);
    expect((await s.api('GET', 'changesets/?progress_id=unknown')).body).toMatchObject({ count: 0, results: [] });
    expect((await s.api('GET', `changesets/${latest.id}/`)).body.status).toBe('applied');
  });

  it('another organization sees none of them', async () => {
    const other = await s.otherOrganization();
    const [latest] = (await s.api('GET', 'changesets/')).body.results;
    expect((await other.api('GET', 'changesets/')).body.count).toBe(0);
    expect((await other.api('GET', `changesets/${latest.id}/`)).status).toBe(404);
    expect((await other.api('POST', `changesets/${latest.id}/revert/`)).status).toBe(404);
    expect((await s.api('GET', `changesets/${latest.id}/`)).body.status).toBe('applied');
  });
});
