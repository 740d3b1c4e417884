import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../src/agent/engines/index.js';
import { loadConfig } from '../src/config.js';
import { PREDEFINED_PERSONALITIES } from '../src/domain/personalities.js';
import { PREDEFINED_TOOLS } from '../src/domain/tools.js';
import { AGENTS, type Library, seedLibrary } from './fixtures/quality-library.js';
import { startJob, waitForJob } from './helpers/agent.js';
import { batchIds, completion, type FakeOpenAI, promptOf, type SeenRequest, startFakeOpenAI } from './helpers/fake-openai.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * What each prompt of the model engine carries, as sent, captured at a fake OpenAI-compatible
 * server, for realistic requests over the quality library: in the shared prefix (the system
 * message), the description of every agent the job's scenarios belong to, the descriptions of tools and personalities, knowledge-base
 * passages when the request draws on them, the conversation with the user's own turns as the
 * user's, and the configured temperature and output budget.
 */
let fake: FakeOpenAI;
let s: TestServer;
let lib: Library;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const env = {
    SCENARIST_MODEL: 'openai-compatible:fake-model',
    SCENARIST_LLM_BASE_URL: fake.url,
    SCENARIST_LLM_BATCH_SIZE: '5',
    SCENARIST_LLM_TEMPERATURE: '0.3',
    SCENARIST_LLM_MAX_OUTPUT_TOKENS: '4000',
  };
  s = await startTestServer(env, { engine: createEngine(loadConfig({ ...env, SCENARIST_DATA_DIR: '/tmp' })) });
  lib = await seedLibrary(s.api, s.defaultProjectId);
  // Every batch is answered "nothing to change", so what matters is what it was sent.
  fake.fallback = (req) =>
    batchIds(req).length
      ? completion({ plan: '', changes: [], not_done: [], message: 'Nothing to change.' })
      : completion({ needs_clarification: false, questions: [], scenarios: [], not_done: [], message: 'None.' });
}, 60_000);
afterAll(async () => {
  await s?.stop();
  await fake?.stop();
});

const userText = (req: SeenRequest) =>
  (req.body.messages as Array<{ role: string; content: unknown }>)
    .filter((m) => m.role !== 'system')
    .map((m) => String(m.content))
    .join('\n');
const systemText = (req: SeenRequest) =>
  String((req.body.messages as Array<{ role: string; content: unknown }>).find((m) => m.role === 'system')?.content ?? '');
/** JSON inside a data block escapes "<", and quotes are escaped inside JSON strings. */
const inBlock = (text: string) => JSON.stringify(text).slice(1, -1).replace(/</g, '\\u003c');

async function improve(body: Record<string, unknown>) {
  const started = await startJob(s.api, body);
  return { done: await waitForJob(s.api, started.progress_id), session: started.session_id };
}

describe('improve prompts', () => {
  const content = [
    'make the callers sound more natural',
    'make the caller more sarcastic',
    'rewrite the instructions so the caller is more demanding',
    'vary the first messages',
  ];

  it('every batch carries the description of each agent its scenarios belong to, with or without agent_id, across agents', async () => {
    fake.reset();
    fake.fallback = (req) => completion({ plan: '', changes: [], not_done: [], message: `Nothing for ${batchIds(req).length}.` });
    // Selections that span agents, in batches of 5, without agent_id (and one with it).
    const selections = [lib.scenarios.map((x) => x.id), [lib.byAgent('billing')[0]!.id, lib.byAgent('airline')[3]!.id, lib.byAgent('clinic')[5]!.id]];
    for (const [i, ids] of selections.entries()) await improve({ scenarios: ids, user_message: content[i % content.length] });
    await improve({ scenarios: lib.byAgent('clinic').map((x) => x.id), agent_id: lib.agents.clinic.id, user_message: content[2] });
    const counted = fake.requests.map((req) => {
      const agentsOfBatch = new Set(batchIds(req).map((id) => lib.scenarios.find((x) => x.id === id)!.agent));
      const carried = [...agentsOfBatch].every((a) => systemText(req).includes(inBlock(Object.values(AGENTS).find((x) => x.name === nameOf(a))!.description)));
      return carried;
    });
    expect(counted.length).toBeGreaterThan(8);
    console.log(`model prompts carrying the agent description of their scenarios: ${counted.filter(Boolean).length} of ${counted.length}`);
    expect(counted.every(Boolean)).toBe(true);
  });

  it('carries tool and personality descriptions, the authoring rules, temperature, output budget and a strict schema', async () => {
    fake.reset();
    fake.fallback = () => completion({ plan: '', changes: [], not_done: [], message: 'Nothing.' });
    await improve({
      scenarios: lib
        .byAgent('billing')
        .slice(0, 2)
        .map((x) => x.id),
      user_message: 'make the caller more polite',
    });
    const req = fake.requests[0]!;
    for (const t of PREDEFINED_TOOLS) expect(systemText(req)).toContain(inBlock(t.description));
    for (const p of PREDEFINED_PERSONALITIES) expect(systemText(req)).toContain(inBlock(p.description));
    expect(systemText(req)).toMatch(/Never put into it the expected outcome/);
    expect(systemText(req)).toMatch(/synthetic but plausible/);
    expect(systemText(req)).toMatch(/translate the caller-facing text/);
    expect(req.body).toMatchObject({ temperature: 0.3, max_tokens: 4000, response_format: { type: 'json_schema', json_schema: { strict: true } } });
  });

  it('carries knowledge-base passages when the request draws on the agent knowledge, and not otherwise', async () => {
    fake.reset();
    fake.fallback = () => completion({ plan: '', changes: [], not_done: [], message: 'Nothing.' });
    await improve({
      scenarios: [lib.byAgent('billing')[2]!.id, lib.byAgent('airline')[0]!.id],
      user_message: 'make the expected outcomes accurate to the knowledge base',
    });
    await improve({ scenarios: [lib.byAgent('billing')[2]!.id], user_message: 'make the caller more polite' });
    const [drawing, plain] = fake.requests;
    expect(systemText(drawing!)).toContain('A late fee of $15 applies');
    expect(systemText(drawing!)).toContain('Changes are free up to 24 hours');
    // The knowledge of an agent none of the job's scenarios test is not the job's.
    expect(promptOf(drawing!)).not.toContain('Cancelling less than 24 hours');
    expect(promptOf(plain!)).not.toContain('knowledge_base');
  });

  it("sends the conversation as real turns, so the user's own follow-up is trusted as theirs", async () => {
    fake.reset();
    fake.fallback = () => completion({ plan: '', changes: [], not_done: [], message: 'Made them more formal.' });
    const first = await improve({ scenarios: [lib.byAgent('clinic')[0]!.id], user_message: 'make the caller more formal' });
    await improve({ session_id: first.session, scenarios: [lib.byAgent('clinic')[1]!.id], user_message: 'do the same for this one' });
    const messages = fake.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[1]!.content).toBe('make the caller more formal');
    expect(messages[1]!.content).not.toContain('<data');
    expect(systemText(fake.requests.at(-1)!)).toMatch(/the user turns are your user's own earlier requests/);
  });
});

describe('clarify prompts', () => {
  it('carry the language asked, the agent and its knowledge base, and its existing scenarios so none is drafted again', async () => {
    fake.reset();
    fake.fallback = () => completion({ needs_clarification: false, questions: [], scenarios: [], not_done: [], message: 'None.' });
    await waitForJob(
      s.api,
      (await startJob(s.api, { agent_id: lib.agents.clinic.id, user_message: 'Write 2 scenarios in Spanish about refills', num_scenarios: 2 })).progress_id,
    );
    const req = fake.requests[0]!;
    expect(userText(req)).toContain('in Spanish (scenario_language "es")');
    // The agent, its knowledge and its scenarios are the shared prefix of every round.
    const facts = systemText(req);
    expect(facts).toContain(inBlock(AGENTS.clinic.description));
    expect(facts).toContain('Refill requests take two business days');
    for (const x of lib.byAgent('clinic')) expect(facts).toContain(inBlock(x.name));
    expect(promptOf(req)).not.toContain(inBlock(lib.byAgent('billing')[0]!.name));
  });
});

function nameOf(agentId: number): string {
  const key = (Object.keys(lib.agents) as Array<keyof Library['agents']>).find((k) => lib.agents[k].id === agentId)!;
  return AGENTS[key].name;
}
