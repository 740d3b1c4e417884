import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createScenario, personalityId, startJob, waitForInstructions, waitForJob } from './helpers/agent.js';
import { ScriptedEngine } from './helpers/engines.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { type Api, startTestServer, type TestServer } from './helpers/server.js';

/**
 * Instructions jobs as a client written from seed 003 and the reference uses them: start a job,
 * poll instructions-progress/ for the Scenario with its new instructions, apply, see the revision.
 */

let s: TestServer;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
const engine = new ScriptedEngine();
let project: number;
let agent: number;
let personality: number;

beforeAll(async () => {
  // With SCENARIST_TEST_PG=1 the same checks run on PostgreSQL.
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer(pgDb ? { DATABASE_URL: pgDb.url } : {}, { engine });
  project = s.defaultProjectId;
  agent = await createAgent(s.api, project, 'Billing line', 'Answers billing questions for Acme Telecom.');
  personality = await personalityId(s.api);
});
afterAll(async () => {
  await s?.stop();
  await pgDb?.drop();
});

const count = async (table: 'jobs' | 'scenarios' | 'sessions' | 'scenario_revisions') =>
  Number(
    (
      await s.running.store.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function start(api: Api, path: string, body: unknown): Promise<{ progress_id: string; project_id: number }> {
  const res = await api('POST', `scenarios/${path}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const started = { progress_id: expect.stringMatching(/^[0-9a-f-]{36}$/), project_id: expect.any(Number) };
  // generate-instructions/ also answers the scenario as instructions-progress/ does (the reference
  // documents a Scenario); the others answer the reference's two fields.
  if (path === 'generate-instructions/') expect(res.body).toMatchObject({ ...started, mode: 'generate', status: expect.any(String) });
  else expect(res.body).toEqual(started);
  return res.body;
}

const scenario = async (id: number) => (await s.api('GET', `scenarios/${id}/`)).body;

describe('generate-instructions', () => {
  it('writes instructions for a new scenario payload and answers a full Scenario, writing nothing', async () => {
    const [scenarios, sessions] = [await count('scenarios'), await count('sessions')];
    const started = await start(s.api, 'generate-instructions/', {
      name: 'Refund for a double charge',
      agent,
      personality,
      expected_outcome_prompt: 'The agent opens a refund request.',
      information_fields: { order_id: 'A-1' },
      scenario_language: 'es',
      extra_instructions: 'The caller is in a hurry.',
    });
    expect(started.project_id).toBe(project);
    const done = await waitForInstructions(s.api, started.progress_id);
    expect(done).toMatchObject({
      progress_id: started.progress_id,
      status: 'completed',
      error: null,
      mode: 'generate',
      revision: null,
      name: 'Refund for a double charge',
      agent,
      agent_name: 'Billing line',
      personality,
      personality_name: 'Normal Male',
      project,
      scenario_language: 'es',
      information_fields: { order_id: 'A-1' },
      instructions: 'Be a caller for "Refund for a double charge".\nThe caller is in a hurry.',
      // The scenario had an expected outcome, so the engine's suggestion is not taken.
      expected_outcome_prompt: 'The agent opens a refund request.',
      progress: { done: 1, total: 1 },
      usage: { input_tokens: 3, output_tokens: 2, model_calls: 1 },
    });
    // Every field the scenario routes answer is there, but the id of a scenario that does not exist yet.
    expect(done).not.toHaveProperty('id');
    const existing = await createScenario(s.api, { name: 'Shape', agent, personality });
    for (const key of Object.keys(existing).filter((k) => k !== 'id')) expect(done, key).toHaveProperty(key);
    await s.api('DELETE', `scenarios/${existing.id}/`);
    const call = engine.instructionsCalls.at(-1)!;
    expect(call).toMatchObject({
      mode: 'generate',
      userMessage: 'The caller is in a hurry.',
      scenario: { id: null, scenario_language: 'es', personality_name: 'Normal Male', agent_name: 'Billing line' },
    });
    expect(call.context.agent).toMatchObject({ id: agent, description: 'Answers billing questions for Acme Telecom.' });
    expect([await count('scenarios'), await count('sessions')]).toEqual([scenarios, sessions]);
  });

  it('takes agent_id and extra_instructions alone, as the reference SDK sends them, and proposes an expected outcome', async () => {
    const { progress_id } = await start(s.api, 'generate-instructions/', { agent_id: agent, extra_instructions: 'Ask about roaming fees' });
    const done = await waitForInstructions(s.api, progress_id);
    expect(done).toMatchObject({ status: 'completed', agent, personality: null, name: '', instructions: expect.stringContaining('Ask about roaming fees') });
    expect(done.expected_outcome_prompt).toBe('The agent resolves the request.');
    expect(done.changes).toMatchObject({ expected_outcome_prompt: { old: '', new: 'The agent resolves the request.' } });
  });

  it('bases the job on an existing scenario, then apply writes it as an instructions revision', async () => {
    const sc = await createScenario(s.api, { name: 'Upgrade plan', agent, personality, instructions: 'Ask for the unlimited plan.' });
    const { progress_id } = await start(s.api, 'generate-instructions/', {
      scenario: sc.id,
      expected_outcome_prompt: 'The plan is changed.',
      extra_instructions: 'Mention the current plan',
    });
    const done = await waitForInstructions(s.api, progress_id);
    expect(done).toMatchObject({
      id: sc.id,
      revision: 1,
      based_on_revision: 1,
      name: 'Upgrade plan',
      created_at: sc.created_at,
      expected_outcome_prompt: 'The plan is changed.',
    });
    expect(done.instructions).toBe('Be a caller for "Upgrade plan".\nMention the current plan');
    expect(await scenario(sc.id)).toEqual(sc);

    expect(done.changes).toEqual({
      expected_outcome_prompt: { old: '', new: 'The plan is changed.' },
      instructions: { old: 'Ask for the unlimited plan.', new: done.instructions },
    });

    const applied = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    // The scenario becomes the preview: the payload's own values and the new instructions.
    expect(applied.body).toMatchObject({ id: sc.id, revision: 2, instructions: done.instructions, expected_outcome_prompt: 'The plan is changed.' });
    for (const [key, value] of Object.entries(applied.body))
      if (!['revision', 'updated_at', 'last_updated_by'].includes(key)) expect(done[key], key).toEqual(value);
    const revs = await s.api('GET', `scenarios/${sc.id}/revisions/`);
    expect(revs.body.results[0]).toMatchObject({
      revision: 2,
      change_type: 'instructions',
      changed_fields: done.changes,
      reason: expect.stringContaining(progress_id),
    });
    // Applying the same job again is harmless: nothing more is written.
    const again = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id });
    expect(again.status).toBe(200);
    expect(again.body.revision).toBe(2);
    expect((await s.api('GET', `scenarios/${sc.id}/revisions/`)).body.count).toBe(2);
  });

  it('writes conditional actions for scenario_type "conditional_actions", and apply stores them', async () => {
    const fresh = await waitForInstructions(
      s.api,
      (await start(s.api, 'generate-instructions/', { name: 'Booking', agent, personality, scenario_type: 'conditional_actions' })).progress_id,
    );
    expect(fresh).toMatchObject({
      status: 'completed',
      scenario_type: 'conditional_actions',
      instructions: '',
      conditional_actions: { role: 'Booking', conditions: [{ id: 0, condition: 'FIRST_MESSAGE' }] },
    });

    const sc = await createScenario(s.api, {
      name: 'Reschedule',
      agent,
      personality,
      scenario_type: 'conditional_actions',
      conditional_actions: { role: 'old', conditions: [] },
    });
    const { progress_id } = await start(s.api, 'generate-instructions/', { scenario: sc.id });
    await waitForInstructions(s.api, progress_id);
    const applied = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.conditional_actions).toMatchObject({ role: 'Reschedule', conditions: [{ id: 0, action: 'Hello' }] });
    expect((await s.api('GET', `scenarios/${sc.id}/revisions/`)).body.results[0]).toMatchObject({
      change_type: 'instructions',
      changed_fields: { conditional_actions: expect.any(Object) },
    });
  });

  it.each([
    [{ agent: 1, name: 'x'.repeat(81) }, 'name'],
    [{ agent: 1, personality: 999_999 }, 'personality'],
    [{ agent: 999_999 }, 'agent'],
    [{ agent_id: 999_999 }, 'agent'],
    [{ agent: 1, max_duration: 5 }, 'max_duration'],
    [{ agent: 1, scenario_language: 'xx' }, 'scenario_language'],
    [{ agent: 1, dynamic_variable_values: { a: 1 } }, 'dynamic_variable_values'],
    [{ agent: 1, folder_path: 'Nowhere' }, 'folder_path'],
    [{ agent: 1, tool_ids: ['TOOL_NOPE'] }, 'tool_ids'],
    [{ agent: 1, bogus: true }, 'bogus'],
    [{ extra_instructions: 'no agent' }, 'non_field_errors'],
    [{ scenario: 999_999 }, 'scenario'],
    [{ scenario: 1, id: 2 }, 'scenario'],
    [{ agent: 1, agent_id: 2 }, 'agent_id'],
    [{ agent: 1, extra_instructions: 5 }, 'extra_instructions'],
    [{ agent: 1, scenario_type: 'conditional_actions', instructions: 'x', conditional_actions: { role: 'r', conditions: [] } }, 'non_field_errors'],
  ])('rejects %j with a field error and records nothing', async (body, field) => {
    const payload = { ...body } as Record<string, unknown>;
    if (payload.agent === 1) payload.agent = agent;
    const jobs = await count('jobs');
    const res = await s.api('POST', 'scenarios/generate-instructions/', payload);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toHaveProperty(field);
    expect(Object.values(res.body).every((v) => Array.isArray(v))).toBe(true);
    expect(await count('jobs')).toBe(jobs);
  });
});

describe('improve_instructions', () => {
  it('improves an existing scenario as a request asks; nothing is written until applied', async () => {
    const sc = await createScenario(s.api, { name: 'Late fee', agent, personality, instructions: 'Dispute the late fee.' });
    const { progress_id } = await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'Mention the due date' });
    const done = await waitForInstructions(s.api, progress_id);
    expect(done).toMatchObject({ id: sc.id, mode: 'improve', status: 'completed', instructions: 'Dispute the late fee.\nMention the due date' });
    expect(done.changes.instructions).toEqual({ old: 'Dispute the late fee.', new: 'Dispute the late fee.\nMention the due date' });
    expect(engine.instructionsCalls.at(-1)).toMatchObject({ mode: 'improve', scenario: { id: sc.id, instructions: 'Dispute the late fee.' } });
    expect((await scenario(sc.id)).instructions).toBe('Dispute the late fee.');
    // extra_instructions is the same request under the reference's name.
    const alias = await waitForInstructions(s.api, (await start(s.api, `${sc.id}/improve_instructions/`, { extra_instructions: 'Be polite' })).progress_id);
    expect(alias.instructions).toBe('Dispute the late fee.\nBe polite');

    expect((await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id })).status).toBe(200);
    expect((await scenario(sc.id)).instructions).toBe('Dispute the late fee.\nMention the due date');
    // The second job read revision 1; the scenario is now at 2.
    const stale = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id: alias.progress_id });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      detail: expect.stringContaining('changed'),
      conflicts: [{ scenario_id: sc.id, based_on_revision: 1, current_revision: 2 }],
    });
    expect((await scenario(sc.id)).revision).toBe(2);
  });

  it('a scenario edited after the job read it is a conflict and nothing is written', async () => {
    const sc = await createScenario(s.api, { name: 'Edited', agent, personality, instructions: 'Original.' });
    const { progress_id } = await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'Add detail' });
    await waitForInstructions(s.api, progress_id);
    const edited = (await s.api('PATCH', `scenarios/${sc.id}/`, { name: 'Edited meanwhile' })).body;
    const res = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id });
    expect(res.status).toBe(409);
    expect(res.body.detail).toEqual(expect.any(String));
    expect(await scenario(sc.id)).toEqual(edited);
  });

  it("takes the reference's {agent, extra_instructions, current_instructions}", async () => {
    const { progress_id, project_id } = await start(s.api, 'improve_instructions/', {
      agent,
      extra_instructions: 'Add the account number',
      current_instructions: 'Call about a bill.',
    });
    expect(project_id).toBe(project);
    const done = await waitForInstructions(s.api, progress_id);
    expect(done).toMatchObject({ status: 'completed', mode: 'improve', agent, instructions: 'Call about a bill.\nAdd the account number' });
    expect(done).not.toHaveProperty('id');
    const fresh = await waitForInstructions(
      s.api,
      (await start(s.api, 'improve_instructions/', { agent, extra_instructions: 'A caller asking for a refund' })).progress_id,
    );
    expect(fresh).toMatchObject({ mode: 'generate', instructions: expect.stringContaining('A caller asking for a refund') });
  });

  it.each([
    ['improve_instructions/', { extra_instructions: 'x' }, 'agent'],
    ['improve_instructions/', { agent: 999_999, extra_instructions: 'x' }, 'agent'],
    ['improve_instructions/', { agent: 1, extra_instructions: '   ' }, 'extra_instructions'],
    ['improve_instructions/', { agent: 1, extra_instructions: 'x', current_instructions: 3 }, 'current_instructions'],
    ['SCENARIO/improve_instructions/', {}, 'user_message'],
    ['SCENARIO/improve_instructions/', { user_message: 'x', bogus: 1 }, 'bogus'],
  ])('POST %s %j is a 400 on %s and records nothing', async (path, body, field) => {
    const sc = await createScenario(s.api, { name: 'Target', agent, personality });
    const payload = { ...body } as Record<string, unknown>;
    if (payload.agent === 1) payload.agent = agent;
    const jobs = await count('jobs');
    const res = await s.api('POST', `scenarios/${path.replace('SCENARIO', String(sc.id))}`, payload);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toHaveProperty(field);
    expect(await count('jobs')).toBe(jobs);
  });

  it('an unknown scenario is a 404', async () => {
    expect((await s.api('POST', 'scenarios/999999/improve_instructions/', { user_message: 'x' })).status).toBe(404);
  });
});

describe('apply_instructions', () => {
  it('refuses a job for another scenario, an unfinished job and an unknown job with 400, writing nothing', async () => {
    const a = await createScenario(s.api, { name: 'A', agent, personality, instructions: 'a' });
    const b = await createScenario(s.api, { name: 'B', agent, personality, instructions: 'b' });
    const { progress_id } = await start(s.api, `${a.id}/improve_instructions/`, { user_message: 'more' });
    await waitForInstructions(s.api, progress_id);
    const wrong = await s.api('POST', `scenarios/${b.id}/apply_instructions/`, { progress_id });
    expect(wrong.status).toBe(400);
    expect(wrong.body.progress_id[0]).toContain(`scenario ${a.id}`);
    expect((await s.api('POST', `scenarios/${a.id}/apply_instructions/`, { progress_id, scenario: b.id })).status).toBe(400);
    expect((await s.api('POST', `scenarios/${a.id}/apply_instructions/`, { progress_id: 'nope' })).status).toBe(400);
    expect((await s.api('POST', `scenarios/${a.id}/apply_instructions/`, {})).status).toBe(400);
    const failed = await waitForInstructions(s.api, (await start(s.api, `${a.id}/improve_instructions/`, { user_message: 'explode' })).progress_id);
    const res = await s.api('POST', `scenarios/${a.id}/apply_instructions/`, { progress_id: failed.progress_id });
    expect(res.status).toBe(400);
    expect(res.body.progress_id[0]).toContain('failed');
    // A scenario-agent job is not an instructions job.
    const agentJob = await startJob(s.api, { scenarios: [a.id], user_message: 'x' });
    await waitForJob(s.api, agentJob.progress_id);
    expect((await s.api('POST', `scenarios/${a.id}/apply_instructions/`, { progress_id: agentJob.progress_id })).status).toBe(400);
    expect([(await scenario(a.id)).revision, (await scenario(b.id)).revision]).toEqual([1, 1]);
  });

  it('a job made from an unsaved payload applies only when the client names the scenario', async () => {
    const sc = await createScenario(s.api, { name: 'Target', agent, personality, instructions: 'old' });
    const { progress_id } = await start(s.api, 'generate-instructions/', { name: 'Draft', agent, personality, extra_instructions: 'new text' });
    const done = await waitForInstructions(s.api, progress_id);
    const refused = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id });
    expect(refused.status).toBe(400);
    expect(refused.body.progress_id[0]).toContain('unsaved scenario payload');
    expect((await scenario(sc.id)).revision).toBe(1);
    const named = await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id, scenario: sc.id });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    // Only the instructions, and the proposed expected outcome since the target had none; not the payload's name.
    expect(named.body).toMatchObject({
      name: 'Target',
      instructions: done.instructions,
      expected_outcome_prompt: 'The agent resolves the request.',
      revision: 2,
    });
    const kept = await createScenario(s.api, { name: 'Has outcome', agent, personality, expected_outcome_prompt: 'Mine.' });
    const onKept = await s.api('POST', `scenarios/${kept.id}/apply_instructions/`, { progress_id, scenario: kept.id });
    expect(onKept.body).toMatchObject({ instructions: done.instructions, expected_outcome_prompt: 'Mine.' });
  });

  it('the progress object also applies through the scenario agent, as an updated_scenarios item', async () => {
    const sc = await createScenario(s.api, { name: 'Via agent', agent, personality, instructions: 'x' });
    const done = await waitForInstructions(s.api, (await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'y' })).progress_id);
    const applied = await waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: [done] })).progress_id);
    expect(applied.result).toMatchObject({ success: true, applied_scenario_ids: [sc.id] });
    expect((await scenario(sc.id)).instructions).toBe('x\ny');
  });
});

describe('progress, failure and cancel', () => {
  it('polling needs a progress_id and knows only instructions jobs', async () => {
    expect((await s.api('GET', 'scenarios/instructions-progress/')).status).toBe(400);
    expect((await s.api('GET', 'scenarios/instructions-progress/?progress_id=nope')).status).toBe(404);
    const sc = await createScenario(s.api, { name: 'Agent job', agent, personality });
    const { progress_id } = await startJob(s.api, { scenarios: [sc.id], user_message: 'x' });
    expect((await s.api('GET', `scenarios/instructions-progress/?progress_id=${progress_id}`)).status).toBe(404);
  });

  it('the scenario-agent progress endpoint does not answer for instructions jobs', async () => {
    const sc = await createScenario(s.api, { name: 'Own endpoint', agent, personality, instructions: 'x' });
    const { progress_id } = await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'add: y' });
    await waitForInstructions(s.api, progress_id);
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).status).toBe(404);
  });

  it('an engine failure ends the job failed with a readable error', async () => {
    const sc = await createScenario(s.api, { name: 'Boom', agent, personality, instructions: 'x' });
    const boom = await waitForInstructions(s.api, (await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'explode' })).progress_id);
    expect(boom).toMatchObject({ status: 'failed', error: 'The instructions could not be written: model exploded', instructions: 'x', changes: {} });
    const empty = await waitForInstructions(s.api, (await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'empty' })).progress_id);
    expect(empty).toMatchObject({ status: 'failed', error: expect.stringContaining('returned no instructions') });
    expect((await scenario(sc.id)).revision).toBe(1);
  });

  it('cancel-agent stops a running job; it cannot be applied', async () => {
    const sc = await createScenario(s.api, { name: 'Slow', agent, personality, instructions: 'x' });
    const calls = engine.instructionsCalls.length;
    const { progress_id } = await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'slow please' });
    for (let i = 0; i < 200 && engine.instructionsCalls.length === calls; i++) await new Promise((r) => setTimeout(r, 10));
    const res = await s.api('POST', 'scenarios/cancel-agent/', { progress_id });
    expect(res.body).toEqual({ success: true, session_id: null, progress_id, status: 'cancelled' });
    expect(await waitForInstructions(s.api, progress_id)).toMatchObject({ status: 'cancelled', instructions: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect((await waitForInstructions(s.api, progress_id)).status).toBe('cancelled');
    expect((await s.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id })).status).toBe(400);
    expect((await scenario(sc.id)).revision).toBe(1);
  });

  it("instruction jobs belong to no session, so the session list stays the scenario agent's", async () => {
    const sc = await createScenario(s.api, { name: 'Quiet', agent, personality, instructions: 'x' });
    const sessions = await count('sessions');
    await waitForInstructions(s.api, (await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'y' })).progress_id);
    await waitForInstructions(s.api, (await start(s.api, 'improve_instructions/', { agent, extra_instructions: 'y' })).progress_id);
    await waitForInstructions(s.api, (await start(s.api, 'generate-instructions/', { scenario: sc.id })).progress_id);
    expect(await count('sessions')).toBe(sessions);
    const jobs = await s.running.store.db.selectFrom('jobs').select(['session_id']).where('kind', '=', 'instructions').execute();
    expect(jobs.length).toBeGreaterThan(3);
    expect(jobs.filter((j) => j.session_id !== null)).toEqual([]);
  });
});

describe('isolation', () => {
  it('another organization cannot read, cancel, improve, apply or base a job on our data', async () => {
    const sc = await createScenario(s.api, { name: 'Ours', agent, personality, instructions: 'mine' });
    const { progress_id } = await start(s.api, `${sc.id}/improve_instructions/`, { user_message: 'more' });
    await waitForInstructions(s.api, progress_id);
    const other = await s.otherOrganization();
    expect((await other.api('GET', `scenarios/instructions-progress/?progress_id=${progress_id}`)).status).toBe(404);
    expect((await other.api('POST', 'scenarios/cancel-agent/', { progress_id })).status).toBe(404);
    expect((await other.api('POST', `scenarios/${sc.id}/improve_instructions/`, { user_message: 'steal' })).status).toBe(404);
    expect((await other.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id })).status).toBe(404);
    expect((await other.api('POST', 'scenarios/generate-instructions/', { scenario: sc.id })).status).toBe(400);
    expect((await other.api('POST', 'scenarios/generate-instructions/', { agent, extra_instructions: 'x' })).status).toBe(400);
    expect((await other.api('POST', 'scenarios/improve_instructions/', { agent, extra_instructions: 'x' })).status).toBe(400);
    // Their own scenario cannot take our job either.
    const theirPersonality = (await other.api('POST', 'personalities/', { name: 'Theirs', project: other.projectId })).body.id;
    const theirs = await other.api('POST', 'scenarios/', { name: 'Theirs', project: other.projectId, personality: theirPersonality });
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
    expect((await other.api('POST', `scenarios/${theirs.body.id}/apply_instructions/`, { progress_id, scenario: theirs.body.id })).status).toBe(400);
    expect(await scenario(sc.id)).toMatchObject({ instructions: 'mine', revision: 1 });
  });
});

describe('with the offline engine', () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startTestServer();
  });
  afterAll(async () => off?.stop());

  it("writes structured instructions in the scenario's language from the agent, personality and fields, end to end", async () => {
    const offAgent = await createAgent(off.api, off.defaultProjectId, 'Línea de facturación', 'Atiende dudas de facturación de Acme.');
    const p = await personalityId(off.api);
    const sc = (
      await off.api('POST', 'scenarios/', {
        name: 'Cargo duplicado',
        agent: offAgent,
        personality: p,
        scenario_language: 'es',
        expected_outcome_prompt: 'El agente abre una solicitud de reembolso.',
        information_fields: { order_id: 'A-1' },
        instructions: 'Pide un reembolso.',
      })
    ).body;
    const { progress_id } = await start(off.api, 'generate-instructions/', { scenario: sc.id });
    const done = await waitForInstructions(off.api, progress_id);
    expect(done.status).toBe('completed');
    expect(done.instructions).toContain('## Objetivo\nCargo duplicado');
    expect(done.instructions).toContain('Línea de facturación');
    expect(done.instructions).toContain('Normal Male');
    // The caller never reads the grader's rubric nor the agent's own description.
    expect(done.instructions).not.toContain('El agente abre una solicitud de reembolso.');
    expect(done.instructions).not.toContain('Atiende dudas de facturación de Acme.');
    expect(done.instructions).toContain('Pide un reembolso.');
    const applied = await off.api('POST', `scenarios/${sc.id}/apply_instructions/`, { progress_id });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body).toMatchObject({ instructions: done.instructions, revision: 2 });
    expect((await off.api('GET', `scenarios/${sc.id}/revisions/`)).body.results[0]).toMatchObject({ revision: 2, change_type: 'instructions' });

    const improved = await waitForInstructions(
      off.api,
      (await start(off.api, `${sc.id}/improve_instructions/`, { user_message: 'Also mention the order id' })).progress_id,
    );
    expect(improved.instructions).toContain('Mention your order id (A-1)');
  });

  it("a new payload without a language is written in its agent's language", async () => {
    const spanish = (
      await off.api('POST', 'aiagents/', { project: off.defaultProjectId, agent_name: 'Soporte', description: 'Atiende a clientes.', language: 'es' })
    ).body.id;
    const done = await waitForInstructions(off.api, (await start(off.api, 'generate-instructions/', { name: 'Baja de línea', agent: spanish })).progress_id);
    expect(done).toMatchObject({ status: 'completed', scenario_language: 'es', instructions: expect.stringContaining('## Objetivo\nBaja de línea') });
    const flat = await waitForInstructions(
      off.api,
      (await start(off.api, 'improve_instructions/', { agent: spanish, extra_instructions: 'Quiere darse de baja' })).progress_id,
    );
    expect(flat).toMatchObject({ scenario_language: 'es', instructions: expect.stringContaining('## Objetivo') });
  });

  it('writes conditional actions for a conditional_actions payload', async () => {
    const offAgent = await createAgent(off.api, off.defaultProjectId);
    const done = await waitForInstructions(
      off.api,
      (
        await start(off.api, 'generate-instructions/', {
          name: 'Booking',
          agent: offAgent,
          personality: await personalityId(off.api),
          scenario_type: 'conditional_actions',
          first_message: 'Hi there',
          information_fields: { name: 'Ana' },
        })
      ).progress_id,
    );
    expect(done).toMatchObject({
      status: 'completed',
      instructions: '',
      conditional_actions: {
        conditions: [
          { id: 0, condition: 'FIRST_MESSAGE', action: 'Hi there', fixed_message: true },
          { id: 1, action: 'Provide your name: Ana' },
        ],
      },
    });
  });
});
