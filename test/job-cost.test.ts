import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../src/agent/engines/index.js';
import { loadConfig } from '../src/config.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForInstructions, waitForJob } from './helpers/agent.js';
import { batchIds, completion, type FakeOpenAI, promptOf, type SeenRequest, startFakeOpenAI } from './helpers/fake-openai.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A job's cost known before and capped during, through the API against a model server that counts
 * tokens the way providers do (about four characters a token of what it is sent and writes).
 */
let fake: FakeOpenAI;
let s: TestServer;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let agent: number;
let ids: number[];
const PRICE = { input: 2, output: 8 };

/** Tags every scenario of its batch, reporting the usage a provider would: the size of what it got and wrote. */
const tagBatch = (req: SeenRequest) => {
  const content = JSON.stringify({
    message: `Tagged ${batchIds(req).length}.`,
    changes: batchIds(req).map((id) => ({ scenario_id: id, fields: { tags: ['base', 'billing'] } })),
  });
  const sent = JSON.stringify(req.body.messages) + JSON.stringify(req.body.response_format);
  return completion(content, { prompt_tokens: Math.ceil(sent.length / 4), completion_tokens: Math.ceil(content.length / 4) });
};

/** Reports the usage a provider would for an answer: the size of what it got and what it wrote. */
const withUsage = (req: SeenRequest, answer: unknown) => {
  const content = JSON.stringify(answer);
  const sent = JSON.stringify(req.body.messages) + JSON.stringify(req.body.response_format);
  return completion(content, { prompt_tokens: Math.ceil(sent.length / 4), completion_tokens: Math.ceil(content.length / 4) });
};

/** The number of drafts a clarify call asks for, read from its prompt. */
const wanted = (req: SeenRequest) => Number(/Write exactly (\d+) scenario/.exec(promptOf(req))?.[1] ?? 0);
let personality: number;
/** Drafts as many scenarios as the call asks for, each valid, so no call is asked again. */
const draftRound = (req: SeenRequest) =>
  withUsage(req, {
    message: `Drafted ${wanted(req)}.`,
    needs_clarification: false,
    questions: [],
    scenarios: Array.from({ length: wanted(req) }, (_, i) => ({
      name: `Refund situation ${fake.requests.length}.${i}`,
      personality,
      scenario_language: 'en',
      tags: ['refunds'],
      tool_ids: [],
      first_message: 'Hi, I was charged twice.',
      instructions: 'You were charged twice this month. Ask for a refund of the second charge.',
      expected_outcome_prompt: 'The agent opens a refund request.',
      information_fields: [],
      source_files: [],
    })),
    not_done: [],
  });
const instructionsAnswer = (text: string) => (req: SeenRequest) =>
  withUsage(req, { instructions: text, expected_outcome_prompt: null, not_done: [], message: 'Wrote instructions.' });

const count = async (table: 'jobs' | 'sessions') =>
  Number(
    (
      await s.running.store.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
const cost = (u: { input_tokens: number; output_tokens: number }) => Math.round(u.input_tokens * PRICE.input + u.output_tokens * PRICE.output) / 1e6;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const env = {
    SCENARIST_MODEL: 'openai-compatible:fake-model',
    SCENARIST_LLM_BASE_URL: fake.url,
    SCENARIST_LLM_API_KEY: 'sk-local',
    SCENARIST_LLM_BATCH_SIZE: '2',
    SCENARIST_LLM_CONCURRENCY: '1',
    // Every batch goes to the model server, even the structured edits the built-in planner could make.
    SCENARIST_PLANNER_FIRST: 'false',
    SCENARIST_PRICES: JSON.stringify({ 'openai-compatible:fake-model': PRICE }),
  };
  const engine = createEngine(loadConfig({ ...env, SCENARIST_DATA_DIR: '/tmp' }), { retryBaseMs: 20 });
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer({ ...env, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) }, { engine });
  agent = await insertAgent(s.running.store.db, s.defaultProjectId, 'Billing line', 'Answers billing questions for Acme Telecom.');
  personality = await personalityIdFromStore(s.running.store.db);
  ids = [];
  for (let i = 0; i < 5; i++) {
    ids.push(
      (
        await createScenario(s.api, {
          name: `Billing question ${i}`,
          agent,
          personality,
          tags: ['base'],
          instructions: `You were charged twice in month ${i}. Ask for a refund and insist politely until you get a date.`,
        })
      ).id,
    );
  }
});
afterAll(async () => {
  await s?.stop();
  await fake?.stop();
  await pgDb?.drop();
});
beforeEach(() => {
  fake.reset();
  fake.fallback = tagBatch;
});

describe('dry run', () => {
  it('answers the plan at once, writes nothing, and its estimate is close to what the same job then uses', async () => {
    const [jobs, sessions] = [await count('jobs'), await count('sessions')];
    const res = await s.api('POST', 'scenarios/scenario-agent/', { scenarios: ids, user_message: 'Tag them billing', dry_run: true });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const plan = res.body;
    expect(plan).toMatchObject({
      dry_run: true,
      kind: 'improve',
      model: 'openai-compatible:fake-model',
      scenario_count: 5,
      batches: 3,
      model_calls: 3,
      currency: 'USD',
      price: PRICE,
    });
    expect(plan.estimated_cost).toBe(cost(plan));
    expect([await count('jobs'), await count('sessions'), fake.requests.length]).toEqual([jobs, sessions, 0]);

    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids, user_message: 'Tag them billing' })).progress_id);
    expect(done.status).toBe('completed');
    expect(done.usage.model_calls).toBe(plan.model_calls);
    // Input is what is sent: the estimate reads the same prompts and schemas the job sends.
    expect(Math.abs(done.usage.input_tokens - plan.input_tokens) / done.usage.input_tokens).toBeLessThan(0.1);
    // Output depends on what the model writes: the estimate is an upper bound for a short answer.
    expect(plan.output_tokens).toBeGreaterThanOrEqual(done.usage.output_tokens);
    expect(done.usage.cost_usd).toBe(cost(done.usage));
  });

  it('plans instructions jobs and clarify jobs the same way, and an apply as no model call', async () => {
    const jobs = await count('jobs');
    const one = await s.api('POST', `scenarios/${ids[0]}/improve_instructions/`, { user_message: 'Mention the invoice number', dry_run: true });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toMatchObject({ dry_run: true, kind: 'instructions', model_calls: 1, batches: 1, input_tokens: expect.any(Number) });
    const generate = await s.api('POST', 'scenarios/generate-instructions/', { scenario: ids[1], extra_instructions: 'x', dry_run: true });
    expect(generate.body).toMatchObject({ kind: 'instructions', model_calls: 1 });
    const clarify = await s.api('POST', 'scenarios/scenario-agent/', { agent_id: agent, user_message: 'Refund calls', num_scenarios: 25, dry_run: true });
    expect(clarify.body).toMatchObject({ kind: 'clarify', scenario_count: 25, model_calls: 3 });
    const apply = await s.api('POST', 'scenarios/scenario-agent/', {
      apply_changes: true,
      updated_scenarios: [{ id: ids[0], max_duration: 60 }],
      dry_run: true,
    });
    expect(apply.body).toMatchObject({ kind: 'apply', model_calls: 0, estimated_cost: 0 });
    expect([await count('jobs'), fake.requests.length]).toEqual([jobs, 0]);
    expect((await s.api('GET', `scenarios/${ids[0]}/`)).body.max_duration).toBeNull();
  });

  it('estimates clarify and instructions jobs as close to what they then use as improve jobs', async () => {
    fake.fallback = draftRound;
    const body = { agent_id: agent, user_message: 'Refund calls', num_scenarios: 25 };
    const plan = (await s.api('POST', 'scenarios/scenario-agent/', { ...body, dry_run: true })).body;
    const drafted = await waitForJob(s.api, (await startJob(s.api, body)).progress_id);
    expect(drafted.status, drafted.error).toBe('completed');
    expect(drafted.result.generated_scenarios).toHaveLength(25);
    expect(drafted.usage.model_calls).toBe(plan.model_calls);
    expect(Math.abs(drafted.usage.input_tokens - plan.input_tokens) / drafted.usage.input_tokens).toBeLessThan(0.1);

    fake.reset();
    fake.fallback = instructionsAnswer('You were charged twice. Quote invoice INV-2231 and ask for a refund of the second charge.');
    const ask = { user_message: 'Mention the invoice number INV-2231' };
    const one = (await s.api('POST', `scenarios/${ids[0]}/improve_instructions/`, { ...ask, dry_run: true })).body;
    const done = await waitForInstructions(s.api, (await s.api('POST', `scenarios/${ids[0]}/improve_instructions/`, ask)).body.progress_id);
    expect(done.status, done.error).toBe('completed');
    expect(done.usage.model_calls).toBe(one.model_calls);
    expect(Math.abs(done.usage.input_tokens - one.input_tokens) / done.usage.input_tokens).toBeLessThan(0.1);
    expect(one.output_tokens).toBeGreaterThanOrEqual(done.usage.output_tokens);
  });

  it('checks a dry run as the real request: bad input is a 400', async () => {
    expect((await s.api('POST', 'scenarios/scenario-agent/', { scenarios: [999_999], user_message: 'x', dry_run: true })).status).toBe(400);
    expect((await s.api('POST', 'scenarios/scenario-agent/', { scenarios: ids, user_message: 'x', dry_run: 'yes' })).status).toBe(400);
    expect((await s.api('POST', 'scenarios/scenario-agent/', { scenarios: ids, user_message: 'x', max_tokens: 0 })).status).toBe(400);
    expect((await s.api('POST', 'scenarios/scenario-agent/', { scenarios: ids, user_message: 'x', max_cost: -1 })).status).toBe(400);
  });
});

describe('budgets', () => {
  it('max_tokens stops the job before the call that would exceed it, keeping what was done', async () => {
    const first = (await s.api('POST', 'scenarios/scenario-agent/', { scenarios: ids.slice(0, 2), user_message: 'Tag them billing', dry_run: true })).body;
    const second = (await s.api('POST', 'scenarios/scenario-agent/', { scenarios: ids.slice(2, 4), user_message: 'Tag them billing', dry_run: true })).body;
    const limit = first.input_tokens + first.output_tokens + Math.floor((second.input_tokens + second.output_tokens) / 2);
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids, user_message: 'Tag them billing', max_tokens: limit })).progress_id);
    expect(done.status).toBe('completed');
    expect(fake.requests).toHaveLength(1);
    expect(done.result.updated_scenarios.map((u: any) => u.id)).toEqual(ids.slice(0, 2));
    expect(done.result.budget_stop).toMatch(/^Stopped before a model call that would exceed max_tokens/);
    expect(done.result.not_done).toEqual([{ part: `Scenarios ${ids.slice(2).join(', ')}`, reason: done.result.budget_stop }]);
    expect(done.result.message).toContain('3 scenario(s) were not looked at');
    expect(done.usage.input_tokens + done.usage.output_tokens).toBeLessThanOrEqual(limit);
  });

  it('max_tokens stops a clarify job before the round that would exceed it, keeping the drafts of the rounds before', async () => {
    fake.fallback = draftRound;
    // One round's worth: the job's 25 drafts take three rounds (10, 10, 5).
    const round = (await s.api('POST', 'scenarios/scenario-agent/', { agent_id: agent, user_message: 'Refund calls', num_scenarios: 10, dry_run: true })).body;
    expect(round.model_calls).toBe(1);
    const limit = round.input_tokens + round.output_tokens;
    const body = { agent_id: agent, user_message: 'Refund calls', num_scenarios: 25, max_tokens: limit };
    const done = await waitForJob(s.api, (await startJob(s.api, body)).progress_id);
    expect(done.status, done.error).toBe('completed');
    expect(fake.requests).toHaveLength(1);
    expect(done.result.generated_scenarios).toHaveLength(10);
    expect(done.result.budget_stop).toMatch(/^Stopped before a model call that would exceed max_tokens/);
    expect(done.result.message).toContain(`Only 10 of 25 scenario(s) could be drafted: ${done.result.budget_stop}`);
    expect(done.result.not_done).toContainEqual({ part: '15 more draft(s)', reason: done.result.budget_stop });
    expect(done.usage.model_calls).toBe(1);
    expect(done.usage.input_tokens + done.usage.output_tokens).toBeLessThanOrEqual(limit);
  });

  it('max_tokens stops an instructions job before the re-ask an unusable first answer needs', async () => {
    fake.fallback = instructionsAnswer('');
    const ask = { user_message: 'Mention the invoice number INV-2231' };
    const one = (await s.api('POST', `scenarios/${ids[0]}/improve_instructions/`, { ...ask, dry_run: true })).body;
    const res = await s.api('POST', `scenarios/${ids[0]}/improve_instructions/`, { ...ask, max_tokens: one.input_tokens + one.output_tokens });
    const done = await waitForInstructions(s.api, res.body.progress_id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Stopped before a model call that would exceed max_tokens/) });
    expect(fake.requests).toHaveLength(1);
    // The call made was paid for, and is counted.
    expect(done.usage).toMatchObject({ model_calls: 1, input_tokens: expect.any(Number) });
    expect(done.usage.input_tokens).toBeGreaterThan(0);
  });

  it('max_cost stops an instructions job before its only call', async () => {
    const res = await s.api('POST', `scenarios/${ids[0]}/improve_instructions/`, { user_message: 'Mention the invoice number', max_cost: 0.000001 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitForInstructions(s.api, res.body.progress_id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/exceed max_cost/) });
    expect(fake.requests).toHaveLength(0);
  });

  it("a project's monthly budget stops a job once the month's jobs have spent it, and the usage report shows why", async () => {
    const before = (await s.api('GET', `usage/?project_id=${s.defaultProjectId}`)).body;
    expect(before.cost_usd).toBeGreaterThan(0);
    const patched = await s.api('PATCH', `/user/v1/projects/${s.defaultProjectId}/`, { monthly_budget: before.cost_usd });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.monthly_budget).toBe(before.cost_usd);
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids, user_message: 'Tag them billing' })).progress_id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/monthly budget/), failure_kind: 'budget' });
    // Once the budget allows, the same request can be sent again as it was.
    expect(done.retry_request).toEqual({ user_message: 'Tag them billing', scenarios: ids, project_id: s.defaultProjectId, agent_id: null });
    expect(fake.requests).toHaveLength(0);

    const report = (await s.api('GET', `usage/?project_id=${s.defaultProjectId}&month=${new Date().toISOString().slice(0, 7)}`)).body;
    expect(report).toMatchObject({
      project: s.defaultProjectId,
      monthly_budget: before.cost_usd,
      remaining: 0,
      cost_usd: before.cost_usd,
      job_count: before.job_count + 1,
    });
    const sum = report.jobs.reduce((n: number, j: any) => n + j.input_tokens, 0);
    expect(report.input_tokens).toBe(sum);
    expect(report.jobs.at(-1)).toMatchObject({ status: 'failed', model: 'openai-compatible:fake-model', model_calls: 0, cost_usd: 0 });
    await s.api('PATCH', `/user/v1/projects/${s.defaultProjectId}/`, { monthly_budget: null });
  });

  it('the usage report takes a month and answers only for the caller', async () => {
    expect((await s.api('GET', `usage/?project_id=${s.defaultProjectId}&month=2020-01`)).body).toMatchObject({ job_count: 0, cost_usd: 0, jobs: [] });
    expect((await s.api('GET', `usage/?project_id=${s.defaultProjectId}&month=2020-13`)).status).toBe(400);
    expect((await s.api('GET', 'usage/')).status).toBe(400);
    const other = await s.otherOrganization();
    expect((await other.api('GET', `usage/?project_id=${s.defaultProjectId}`)).status).toBe(404);
  });
});
