import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../src/agent/engines/index.js';
import { loadConfig } from '../src/config.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { anthropicBatchIds, anthropicMessage } from './helpers/fake-anthropic.js';
import { batchIds, completion, type FakeOpenAI, type SeenRequest, startFakeOpenAI } from './helpers/fake-openai.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * The providers' prompt caches, through the API against model servers that speak each provider's
 * wire format: the shared prefix marked for Anthropic's cache and byte-identical across a job's
 * batches, and the cached input tokens each provider reports recorded with the job's usage and
 * priced at the configured cached price.
 */
const PRICE = { input: 3, output: 15, cached_input: 0.3 };
const month = () => new Date().toISOString().slice(0, 7);
const costOf = (u: { input_tokens: number; cached_input_tokens: number; output_tokens: number }) =>
  Math.round((u.input_tokens - u.cached_input_tokens) * PRICE.input + u.cached_input_tokens * PRICE.cached_input + u.output_tokens * PRICE.output) / 1e6;

/** A server for `model` at the fake, batches of 2 one at a time, every batch sent to the model. */
async function serverFor(fake: FakeOpenAI, model: string): Promise<{ s: TestServer; ids: number[] }> {
  const env = {
    SCENARIST_MODEL: model,
    SCENARIST_LLM_BASE_URL: fake.url,
    SCENARIST_LLM_API_KEY: 'sk-local',
    SCENARIST_LLM_BATCH_SIZE: '2',
    SCENARIST_LLM_CONCURRENCY: '1',
    SCENARIST_PLANNER_FIRST: 'false',
    SCENARIST_PRICES: JSON.stringify({ [model]: PRICE }),
  };
  const s = await startTestServer(env, { engine: createEngine(loadConfig({ ...env, SCENARIST_DATA_DIR: '/tmp' }), { retryBaseMs: 20 }) });
  const agent = await insertAgent(s.running.store.db, s.defaultProjectId, 'Billing line', 'Answers billing questions for Acme Telecom.');
  const personality = await personalityIdFromStore(s.running.store.db);
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await createScenario(s.api, { name: `Billing question ${i}`, agent, personality, tags: ['base'], instructions: `Ask about bill ${i}.` })).id);
  }
  return { s, ids };
}

const tagged = (ids: number[]) => ({
  plan: 'Tag them.',
  changes: ids.map((id) => ({ scenario_id: id, field: 'tags', value: ['base', 'billing'], reason: 'Asked for.' })),
  not_done: [],
  message: `Tagged ${ids.length}.`,
});

describe('Anthropic', () => {
  let fake: FakeOpenAI;
  let s: TestServer;
  let ids: number[];
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    ({ s, ids } = await serverFor(fake, 'anthropic:claude-sonnet-4-5'));
  });
  afterAll(async () => {
    await s?.stop();
    await fake?.stop();
  });
  beforeEach(() => fake.reset());

  it('marks the shared prefix for the cache, the same bytes in every batch, and records and prices the cached tokens it reports', async () => {
    // The first call writes the prefix to the cache, the next reads it, as Anthropic reports them.
    let calls = 0;
    fake.fallback = (req: SeenRequest) =>
      anthropicMessage(req, tagged(anthropicBatchIds(req)), {
        input_tokens: 300,
        output_tokens: 40,
        ...(calls++ === 0 ? { cache_creation_input_tokens: 1_500 } : { cache_read_input_tokens: 1_500 }),
      });
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids, user_message: 'Tag them billing' })).progress_id);
    expect(done.status, JSON.stringify(done.result)).toBe('completed');
    expect(done.result.updated_scenarios).toHaveLength(3);

    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/messages', '/v1/messages']);
    const [a, b] = fake.requests.map((r) => r.body);
    // One system block, the whole shared prefix, with the breakpoint on it; tools and schema come before it and are the same too.
    expect(a.system).toEqual([
      { type: 'text', text: expect.stringContaining('Answers billing questions for Acme Telecom.'), cache_control: { type: 'ephemeral' } },
    ]);
    expect(b.system).toEqual(a.system);
    expect(JSON.stringify([b.tools, b.output_config])).toBe(JSON.stringify([a.tools, a.output_config]));
    expect(JSON.stringify(a.messages)).not.toContain('cache_control');
    // The batches' own scenarios come after the prefix, in the user turn.
    expect([anthropicBatchIds(fake.requests[0]!), anthropicBatchIds(fake.requests[1]!)]).toEqual([ids.slice(0, 2), ids.slice(2)]);
    expect(a.system[0].text).not.toContain('Ask about bill');

    // Anthropic's input_tokens leave the cache out; the job's input counts all of it, the cached part named.
    const usage = { input_tokens: 2 * (300 + 1_500), output_tokens: 80, cached_input_tokens: 1_500, model_calls: 2 };
    expect(done.usage).toEqual({ ...usage, cost_usd: costOf(usage) });
    const report = (await s.api('GET', `usage/?project_id=${s.defaultProjectId}&month=${month()}`)).body;
    expect(report.jobs.find((j: { progress_id: string }) => j.progress_id === done.progress_id)).toMatchObject({ ...usage, cost_usd: costOf(usage) });
    expect(report).toMatchObject({ cached_input_tokens: 1_500, cost_usd: costOf(usage) });
  });
});

describe('OpenAI-compatible', () => {
  let fake: FakeOpenAI;
  let s: TestServer;
  let ids: number[];
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    ({ s, ids } = await serverFor(fake, 'openai-compatible:fake-model'));
  });
  afterAll(async () => {
    await s?.stop();
    await fake?.stop();
  });

  it('sends the same prefix unmarked (the server caches it by itself) and records the cached tokens it reports', async () => {
    let calls = 0;
    fake.fallback = (req) =>
      completion(tagged(batchIds(req)), {
        prompt_tokens: 1_800,
        completion_tokens: 40,
        ...(calls++ ? { prompt_tokens_details: { cached_tokens: 1_536 } } : {}),
      });
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids, user_message: 'Tag them billing' })).progress_id);
    expect(done.status).toBe('completed');
    const [a, b] = fake.requests.map((r) => r.body);
    expect(b.messages[0]).toEqual(a.messages[0]);
    expect(JSON.stringify(a)).not.toMatch(/cache_control|cacheControl/);
    const usage = { input_tokens: 3_600, output_tokens: 80, cached_input_tokens: 1_536, model_calls: 2 };
    expect(done.usage).toEqual({ ...usage, cost_usd: costOf(usage) });
    const report = (await s.api('GET', `usage/?project_id=${s.defaultProjectId}&month=${month()}`)).body;
    expect(report.jobs.at(-1)).toMatchObject({ progress_id: done.progress_id, ...usage, cost_usd: costOf(usage) });
  });
});
