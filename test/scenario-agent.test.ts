import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { ScriptedEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
const engine = new ScriptedEngine(2, 2);
let project: number;
let agent: number;
let personality: number;
let ids: number[];

beforeAll(async () => {
  s = await startTestServer({}, { engine });
  project = s.defaultProjectId;
  agent = await insertAgent(s.running.store.db, project);
  personality = await personalityIdFromStore(s.running.store.db);
  ids = [];
  for (let i = 0; i < 5; i++) ids.push((await createScenario(s.api, { name: `Scenario ${i}`, agent, personality, tags: ['base'] })).id);
});
afterAll(async () => s?.stop());

const scenario = async (id: number) => (await s.api('GET', `scenarios/${id}/`)).body;

describe('improve', () => {
  it('answers at once, then completes with suggestions that write nothing', async () => {
    const { progress_id, session_id } = await startJob(s.api, { scenarios: ids.slice(0, 3), user_message: 'Add a greeting' });
    expect(progress_id).toMatch(/^[0-9a-f-]{36}$/);
    const done = await waitForJob(s.api, progress_id);
    expect(done).toMatchObject({ progress_id, session_id, mode: 'improve', status: 'completed', error: null, progress: { done: 3, total: 3 } });
    expect(done.usage.model_calls).toBe(2); // 3 scenarios in batches of 2
    const updated = done.result.updated_scenarios;
    expect(updated).toHaveLength(3);
    expect(updated[0]).toMatchObject({
      id: ids[0],
      name: 'Scenario 0',
      tags: ['base', 'improved'],
      first_message: 'Add a greeting',
      based_on_revision: 1,
      changes: { tags: { old: ['base'], new: ['base', 'improved'] }, first_message: { old: '', new: 'Add a greeting' } },
    });
    expect(done.result).toMatchObject({ success: true, applied_scenario_ids: [], needs_agent_clarification: false, session_id });
    // Two batches: the reply counts the whole selection, not one batch's "Improved 2 scenario(s)".
    expect(done.result.message).toMatch(/^I suggest changes to 3 of 3 scenario\(s\): tags on 3, first_message on 3\./);
    expect((await scenario(ids[0]!)).tags).toEqual(['base']);
  });

  it('takes "all" of an agent and a single id', async () => {
    const all = await waitForJob(s.api, (await startJob(s.api, { scenarios: 'all', agent_id: agent, user_message: 'x' })).progress_id);
    expect(all.result.updated_scenarios.map((u: any) => u.id)).toEqual(ids);
    const one = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids[1], user_message: 'x' })).progress_id);
    expect(one.result.updated_scenarios.map((u: any) => u.id)).toEqual([ids[1]]);
  });

  it('drops invalid suggestions and suggestions for scenarios outside the job, and says so', async () => {
    const bad = await waitForJob(s.api, (await startJob(s.api, { scenarios: [ids[0]], user_message: 'invalid' })).progress_id);
    // The invalid value is dropped; the scenario's valid change stays reviewable.
    expect(bad.result.updated_scenarios).toEqual([expect.objectContaining({ id: ids[0], tags: ['base', 'improved'] })]);
    expect(bad.result.updated_scenarios[0]).not.toHaveProperty('max_duration');
    expect(bad.result.validation_issues).toEqual([expect.objectContaining({ scenario_id: ids[0], field: 'max_duration' })]);
    const out = await waitForJob(s.api, (await startJob(s.api, { scenarios: [ids[0]], user_message: 'outsider' })).progress_id);
    expect(out.result.updated_scenarios.map((u: any) => u.id)).toEqual([ids[0]]);
    expect(out.result.validation_issues).toEqual([expect.objectContaining({ scenario_id: 999_999 })]);
  });

  it('reports a failed batch and still delivers the others', async () => {
    const bomb = (await createScenario(s.api, { name: 'bomb', agent, personality })).id;
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: [ids[0], ids[1], bomb], user_message: 'explode' })).progress_id);
    expect(done.status).toBe('completed');
    expect(done.result.updated_scenarios.map((u: any) => u.id)).toEqual([ids[0], ids[1]]);
    expect(done.result.failed_batches).toEqual([expect.objectContaining({ scenario_ids: [bomb], error: 'model exploded' })]);
    const all = await waitForJob(s.api, (await startJob(s.api, { scenarios: [bomb], user_message: 'explode' })).progress_id);
    expect(all).toMatchObject({ status: 'failed', error: expect.stringContaining('model exploded') });
    await s.api('DELETE', `scenarios/${bomb}/`);
  });

  it.each([
    [{ scenarios: [999999], user_message: 'x' }, 'scenarios'],
    [{ scenarios: 'all', user_message: 'x' }, 'scenarios'],
    [{ scenarios: [1], user_message: 'x', agent_id: 999999 }, 'agent_id'],
    [{ scenarios: '1,2', user_message: 'x' }, 'scenarios'],
    [{ user_message: 'make some' }, 'agent_id'],
    [{ scenarios: [1], user_message: 'x', tool_ids: ['TOOL_NOPE'] }, 'tool_ids'],
    [{ scenarios: [1], user_message: 'x', bogus: 1 }, 'bogus'],
    [{ apply_changes: true }, 'updated_scenarios'],
    [{ apply_changes: true, updated_scenarios: [{ id: 1, max_duration: 1 }] }, 'updated_scenarios'],
  ])('rejects %j with a field error and records nothing', async (body, field) => {
    const jobs = await s.running.store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const res = await s.api('POST', 'scenarios/scenario-agent/', body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toHaveProperty(field);
    const after = await s.running.store.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(jobs.n));
  });

  it('polling needs a progress_id and knows only our jobs', async () => {
    expect((await s.api('GET', 'scenarios/scenario-agent-progress/')).status).toBe(400);
    expect((await s.api('GET', 'scenarios/scenario-agent-progress/?progress_id=nope')).status).toBe(404);
  });
});

describe('apply', () => {
  it('writes every suggestion in one go as revisions, which revert', async () => {
    const improved = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids, user_message: 'Apply me' })).progress_id);
    const applied = await waitForJob(
      s.api,
      (await startJob(s.api, { apply_changes: true, updated_scenarios: improved.result.updated_scenarios, session_id: improved.session_id })).progress_id,
    );
    expect(applied).toMatchObject({ status: 'completed', result: { success: true, applied_scenario_ids: ids } });
    for (const id of ids) expect(await scenario(id)).toMatchObject({ first_message: 'Apply me', tags: ['base', 'improved'], revision: 2 });
    const revs = await s.api('GET', `scenarios/${ids[0]}/revisions/`);
    expect(revs.body.results[0]).toMatchObject({ revision: 2, change_type: 'apply', changed_fields: { first_message: { old: '', new: 'Apply me' } } });
    expect((await s.api('POST', `scenarios/${ids[0]}/revert/`, { revision: 1 })).body).toMatchObject({ first_message: '', revision: 3 });
    const session = await s.api('GET', `scenario-improvement-sessions/${improved.session_id}/`);
    const preview = session.body.conversation_history.find((t: any) => t.tool_calls.some((c: any) => c.name === 'suggest_changes'));
    expect(preview.tool_calls[0].status).toBe('applied');
  });

  it('scenarios with apply_changes and no updated_scenarios: one job improves and applies what is valid, naming what it skipped', async () => {
    const a = (await createScenario(s.api, { name: 'Apply at once A', agent, personality, tags: ['base'] })).id;
    const b = (await createScenario(s.api, { name: 'Apply at once B', agent, personality, tags: ['base'] })).id;
    const calls = engine.calls.length;
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: [a, b], user_message: 'invalid', apply_changes: true })).progress_id);
    expect(engine.calls.length).toBeGreaterThan(calls);
    expect(done).toMatchObject({ mode: 'improve', status: 'completed' });
    expect([...done.result.applied_scenario_ids].sort()).toEqual([a, b].sort());
    // The engine's max_duration of 5 breaks the rules: that part is skipped, and said so.
    expect(done.result.not_done).toEqual(
      expect.arrayContaining([expect.objectContaining({ part: `scenario ${a} (max_duration)`, reason: expect.stringContaining('Not applied') })]),
    );
    for (const id of [a, b]) {
      expect(await scenario(id)).toMatchObject({ tags: ['base', 'improved'], max_duration: null, revision: 2 });
      const revisions = (await s.api('GET', `scenarios/${id}/revisions/`)).body.results;
      expect(revisions[0]).toMatchObject({ revision: 2, change_type: 'apply' });
    }
    const session = (await s.api('GET', `scenario-improvement-sessions/${done.session_id}/`)).body;
    expect(session.conversation_history.at(-1).content).toContain('Applied the changes to 2 scenario(s).');
  });

  it('a scenario changed since the suggestion is a conflict and nothing is written', async () => {
    const improved = await waitForJob(s.api, (await startJob(s.api, { scenarios: [ids[1], ids[2]], user_message: 'Conflict' })).progress_id);
    await s.api('PATCH', `scenarios/${ids[2]}/`, { name: 'Edited meanwhile' });
    const before = await scenario(ids[1]!);
    const res = await waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: improved.result.updated_scenarios })).progress_id);
    expect(res.status).toBe('completed');
    expect(res.result).toMatchObject({ success: false, applied_scenario_ids: [], conflicts: [{ scenario_id: ids[2], reason: 'changed' }] });
    expect(await scenario(ids[1]!)).toEqual(before);
  });

  it('applies a large batch in one transaction', async () => {
    const many = await s.api('POST', 'scenarios/bulk_create/', {
      scenarios: Array.from({ length: 300 }, (_, i) => ({ name: `Many ${i}`, agent, personality, tags: ['many'] })),
    });
    const manyIds = many.body.map((x: any) => x.id);
    const items = manyIds.map((id: number) => ({ id, based_on_revision: 1, max_duration: 120 }));
    const res = await waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: items })).progress_id);
    expect(res.result.applied_scenario_ids).toHaveLength(300);
    expect((await scenario(manyIds[299])).max_duration).toBe(120);
    await s.api('POST', 'scenarios/delete_scenarios/', { scenarios: manyIds, project_id: project });
  });

  it('a large apply records each scenario its own revision and changes only the fields it names', async () => {
    const other = await personalityIdFromStore(s.running.store.db, 'Normal Female');
    const many = await s.api('POST', 'scenarios/bulk_create/', {
      scenarios: Array.from({ length: 250 }, (_, i) => ({ name: `Own ${i}`, agent, personality, tags: ['own'] })),
    });
    const manyIds: number[] = many.body.map((x: any) => x.id);
    const items = manyIds.map((id, i) => ({ id, based_on_revision: 1, max_duration: 60 + i, ...(i % 2 ? { personality: other } : {}) }));
    const res = await waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: items })).progress_id);
    expect(res.result.applied_scenario_ids).toEqual(manyIds);
    for (const i of [0, 99, 100, 101, 249]) {
      expect(await scenario(manyIds[i]!)).toMatchObject({
        name: `Own ${i}`,
        tags: ['own'],
        max_duration: 60 + i,
        personality: i % 2 ? other : personality,
        revision: 2,
      });
    }
    const revisions = await s.running.store.db
      .selectFrom('scenario_revisions')
      .select(['scenario_id', 'revision', 'change_type', 'changed_fields', 'snapshot'])
      .where('scenario_id', 'in', manyIds)
      .where('change_type', '=', 'apply')
      .orderBy('scenario_id')
      .execute();
    expect(revisions.map((r) => [r.scenario_id, r.revision])).toEqual(manyIds.map((id) => [id, 2]));
    expect(JSON.parse(revisions[101]!.changed_fields)).toEqual({ personality: { old: personality, new: other }, max_duration: { old: null, new: 161 } });
    expect(JSON.parse(revisions[249]!.snapshot)).toMatchObject({ name: 'Own 249', max_duration: 309, personality: other });
    await s.api('POST', 'scenarios/delete_scenarios/', { scenarios: manyIds, project_id: project });
  });

  it('every change naming a missing reference is reported, even when several name the same one, and nothing is written', async () => {
    const before = await Promise.all(ids.slice(0, 4).map((id) => scenario(id)));
    const items = [
      { id: ids[0], based_on_revision: before[0].revision, personality: 999_999 },
      { id: ids[1], based_on_revision: before[1].revision, personality: 999_999 },
      { id: ids[2], based_on_revision: before[2].revision, folder_path: 'Nowhere' },
      { id: ids[3], based_on_revision: before[3].revision, tool_ids: ['TOOL_DTMF', 'TOOL_NOPE'] },
    ];
    const res = await waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: items })).progress_id);
    expect(res.result).toMatchObject({ success: false, applied_scenario_ids: [] });
    expect(res.result.validation_issues.map((v: any) => [v.scenario_id, v.field])).toEqual([
      [ids[0], 'personality'],
      [ids[1], 'personality'],
      [ids[2], 'folder_path'],
      [ids[3], 'tool_ids'],
    ]);
    for (const [i, b] of before.entries()) expect(await scenario(ids[i]!)).toEqual(b);
  });
});

describe('cancel', () => {
  it('aborts a running job; nothing is written and cancelling again answers the same state', async () => {
    const started = engine.started;
    const { progress_id, session_id } = await startJob(s.api, { scenarios: [ids[3]], user_message: 'slow please' });
    for (let i = 0; i < 200 && engine.started === started; i++) await new Promise((r) => setTimeout(r, 10));
    const res = await s.api('POST', 'scenarios/cancel-agent/', { progress_id });
    expect(res.body).toMatchObject({ success: true, session_id, status: 'cancelled' });
    const final = await waitForJob(s.api, progress_id);
    expect(final.status).toBe('cancelled');
    const again = await s.api('POST', 'scenarios/cancel-agent/', { session_id });
    expect(again.body).toMatchObject({ status: 'cancelled', progress_id });
    const session = await s.api('GET', `scenario-improvement-sessions/${session_id}/`);
    expect(session.body.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 100));
    expect((await waitForJob(s.api, progress_id)).status).toBe('cancelled');
  });

  it('cancelling a finished job answers its state', async () => {
    const { progress_id } = await startJob(s.api, { scenarios: [ids[0]], user_message: 'quick' });
    await waitForJob(s.api, progress_id);
    expect((await s.api('POST', 'scenarios/cancel-agent/', { progress_id })).body).toMatchObject({ success: false, status: 'completed' });
  });
});

describe('sessions and context', () => {
  it('a session records both turns, titles itself and follows its latest job', async () => {
    const { progress_id, session_id } = await startJob(s.api, { scenarios: [ids[0]], user_message: 'Make the caller more polite\nand more' });
    await waitForJob(s.api, progress_id);
    const list = await s.api('GET', `scenario-improvement-sessions/?project_id=${project}`);
    const item = list.body.find((x: any) => x.id === session_id);
    expect(item).toMatchObject({ title: 'Make the caller more polite', message_count: '2', status: 'completed', scenario_ids: [ids[0]] });
    const second = await startJob(s.api, { scenarios: [ids[0]], user_message: 'And shorter', session_id });
    expect(second.session_id).toBe(session_id);
    await waitForJob(s.api, second.progress_id);
    const detail = await s.api('GET', `scenario-improvement-sessions/${session_id}/`);
    expect(detail.body.conversation_history.map((t: any) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(detail.body.conversation_history[0]).toMatchObject({ content: expect.stringContaining('polite'), timestamp: expect.any(String), tool_calls: [] });
    expect(engine.calls.at(-1)!.history.map((h) => h.content)[0]).toContain('polite');
  });

  it('a session names its latest job, so a client can follow one started elsewhere', async () => {
    const empty = await s.api('POST', 'scenario-improvement-sessions/', { project });
    expect(empty.body).toMatchObject({ latest_progress_id: null, latest_job_status: null, latest_job_kind: null });
    const started = engine.started;
    const { progress_id, session_id } = await startJob(s.api, { scenarios: [ids[2]], user_message: 'slow, followed elsewhere' });
    for (let i = 0; i < 200 && engine.started === started; i++) await new Promise((r) => setTimeout(r, 10));
    const running = { latest_progress_id: progress_id, latest_job_status: 'in_progress', latest_job_kind: 'improve' };
    expect((await s.api('GET', `scenario-improvement-sessions/${session_id}/`)).body).toMatchObject({ status: 'in_progress', ...running });
    const list = (await s.api('GET', `scenario-improvement-sessions/?project_id=${project}`)).body;
    expect(list.find((x: any) => x.id === session_id)).toMatchObject(running);
    expect(list.find((x: any) => x.id === empty.body.id)).toMatchObject({ latest_progress_id: null, latest_job_status: null });
    const other = await s.otherOrganization();
    expect((await other.api('GET', `scenario-improvement-sessions/${session_id}/`)).status).toBe(404);
    expect(await other.api('GET', `scenario-improvement-sessions/?project_id=${project}`)).toMatchObject({ status: 200, body: [] });

    await s.api('POST', 'scenarios/cancel-agent/', { progress_id });
    const next = await startJob(s.api, { scenarios: [ids[2]], user_message: 'quick', session_id });
    await waitForJob(s.api, next.progress_id);
    expect((await s.api('GET', `scenario-improvement-sessions/${session_id}/`)).body).toMatchObject({
      latest_progress_id: next.progress_id,
      latest_job_status: 'completed',
    });
    const after = (await s.api('GET', `scenario-improvement-sessions/?project_id=${project}`)).body;
    expect(after.find((x: any) => x.id === session_id)).toMatchObject({
      latest_progress_id: next.progress_id,
      latest_job_status: 'completed',
      latest_job_kind: 'improve',
    });
  });

  it('context carries a conversation without a session', async () => {
    const { progress_id } = await startJob(s.api, {
      scenarios: [ids[0]],
      user_message: 'Now the next one',
      context: [
        { role: 'user', content: 'Add DTMF to all' },
        { role: 'assistant', content: 'Added DTMF to 3 scenarios' },
      ],
    });
    await waitForJob(s.api, progress_id);
    expect(engine.calls.at(-1)!.history).toEqual([
      { role: 'user', content: 'Add DTMF to all' },
      { role: 'assistant', content: 'Added DTMF to 3 scenarios' },
    ]);
  });

  it('discard-changes marks the latest preview for the next turn', async () => {
    const { progress_id, session_id } = await startJob(s.api, { scenarios: [ids[0]], user_message: 'Try this' });
    await waitForJob(s.api, progress_id);
    expect((await s.api('POST', 'scenarios/discard-changes/', { session_id })).body).toEqual({ success: true, session_id });
    const next = await startJob(s.api, { scenarios: [ids[0]], user_message: 'Something else', session_id });
    await waitForJob(s.api, next.progress_id);
    expect(engine.calls.at(-1)!.history.at(-1)!.content).toContain('[STATUS: DISCARDED BY USER]');
  });
});

describe('agent clarification', () => {
  it('asks which agent for scenarios without one, then finishes the held work', async () => {
    const orphan = (await createScenario(s.api, { name: 'No agent', project, personality })).id;
    const other = await insertAgent(s.running.store.db, project, 'Sales bot');
    const first = await startJob(s.api, { scenarios: [orphan], user_message: 'Add a greeting' });
    const held = await waitForJob(s.api, first.progress_id);
    expect(held).toMatchObject({
      status: 'needs_agent_clarification',
      result: {
        needs_agent_clarification: true,
        scenarios_needing_agent: [orphan],
        pending_tool_calls: [expect.objectContaining({ name: 'improve_scenarios' })],
      },
    });
    expect(held.result.available_agents).toEqual(expect.arrayContaining([{ id: other, agent_name: 'Sales bot' }]));
    expect((await s.api('GET', `scenario-improvement-sessions/${first.session_id}/`)).body.status).toBe('pending');

    const bad = await s.api('POST', 'scenarios/scenario-agent/', { session_id: first.session_id, agent_resolution_response: 'Nobody' });
    expect(bad.status).toBe(400);
    const resumed = await startJob(s.api, {
      session_id: first.session_id,
      agent_resolution_response: 'sales bot',
      scenarios_needing_agent: held.result.scenarios_needing_agent,
      pending_tool_calls: held.result.pending_tool_calls,
    });
    const done = await waitForJob(s.api, resumed.progress_id);
    expect(done.status).toBe('completed');
    expect(done.result.updated_scenarios[0]).toMatchObject({ id: orphan, agent: other, first_message: 'Add a greeting' });
  });
});

describe('clarify', () => {
  it('asks questions when vague, continues in the session, and drafts apply as new scenarios', async () => {
    const first = await startJob(s.api, { agent_id: agent, user_message: 'vague', num_scenarios: 2 });
    const q = await waitForJob(s.api, first.progress_id);
    expect(q).toMatchObject({
      mode: 'clarify',
      status: 'needs_clarification',
      result: { needs_clarification: true, clarification_questions: [{ id: 1, question: 'Which situations?' }] },
    });
    const second = await startJob(s.api, { session_id: first.session_id, user_message: 'Billing disputes', num_scenarios: 2 });
    const drafted = await waitForJob(s.api, second.progress_id);
    expect(drafted.status).toBe('completed');
    expect(drafted.result.generated_scenarios).toHaveLength(2);
    expect(engine.clarifyCalls.at(-1)!.answers).toEqual(['vague']);
    const before = (await s.api('GET', `scenarios/?project_id=${project}&page_size=1`)).body.count;
    const applied = await waitForJob(
      s.api,
      (await startJob(s.api, { apply_changes: true, updated_scenarios: drafted.result.updated_scenarios, project_id: project })).progress_id,
    );
    expect(applied.result.created_scenario_ids).toHaveLength(2);
    expect((await s.api('GET', `scenarios/?project_id=${project}&page_size=1`)).body.count).toBe(before + 2);
  });
});

describe('isolation', () => {
  it('another organization cannot see, continue, cancel or apply to our work', async () => {
    const { progress_id, session_id } = await startJob(s.api, { scenarios: [ids[0]], user_message: 'mine' });
    const done = await waitForJob(s.api, progress_id);
    const other = await s.otherOrganization();
    expect((await other.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).status).toBe(404);
    expect((await other.api('POST', 'scenarios/cancel-agent/', { progress_id })).status).toBe(404);
    expect((await other.api('POST', 'scenarios/cancel-agent/', { session_id })).status).toBe(404);
    expect((await other.api('POST', 'scenarios/scenario-agent/', { scenarios: [ids[0]], user_message: 'steal' })).status).toBe(400);
    expect((await other.api('POST', 'scenarios/scenario-agent/', { scenarios: [ids[0]], user_message: 'x', session_id })).status).toBe(400);
    const apply = await other.api('POST', 'scenarios/scenario-agent/', {
      apply_changes: true,
      updated_scenarios: done.result.updated_scenarios,
      project_id: other.projectId,
    });
    if (apply.status === 200) {
      const r = await waitForJob(other.api, apply.body.progress_id);
      expect(r.result.applied_scenario_ids).toEqual([]);
    } else expect(apply.status).toBe(400);
    expect((await scenario(ids[0]!)).first_message).not.toBe('mine');
  });
});
