import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeResponseValidator, unexplainedErrors } from './helpers/reference.js';
import { callTool, type McpTool, referenceMcpTools, type ToolAnswer, toolRequest } from './helpers/reference-mcp-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Every tool the reference's official MCP server exposes for the in-scope operations, driven the
 * way that server sends its requests (test/helpers/reference-mcp-client.ts), with the arguments a
 * model reading each tool's schema gives it, through a whole session: projects and agents, then
 * scenarios, folders, the scenario agent in each mode, generation, instructions and sessions, then
 * the deletes. Each call must answer 2xx with a body the reference documents for that status.
 */

let s: TestServer;
const tools = referenceMcpTools();
const validatorFor = makeResponseValidator();
const called = new Set<string>();
const b64 = (text: string) => Buffer.from(text).toString('base64');

async function tool(name: string, args: Record<string, unknown>): Promise<any> {
  const t = tools.get(name);
  if (!t) throw new Error(`the reference's MCP server exposes no tool ${name}`);
  called.add(name);
  const answer = await callTool(s.url, s.key, t, args);
  expectDocumented(t, args, answer);
  return answer.body;
}

function expectDocumented(t: McpTool, args: Record<string, unknown>, answer: ToolAnswer) {
  const req = toolRequest(t, args);
  const call = `${t.name}: ${req.method} ${req.path}?${req.query} ${JSON.stringify(req.body ?? null).slice(0, 300)}`;
  expect(answer.status, `${call} → ${JSON.stringify(answer.body).slice(0, 500)}`).toBeGreaterThanOrEqual(200);
  expect(answer.status, `${call} → ${JSON.stringify(answer.body).slice(0, 500)}`).toBeLessThan(300);
  const documented = t.op.responses[String(answer.status)];
  expect(documented, `${call}: status ${answer.status} is not one the reference documents`).toBeDefined();
  const schema = documented!.content?.['application/json']?.schema;
  if (!schema) {
    // "No response body": the client reads an empty answer as success.
    expect(answer.body, `${call}: the reference answers no body`).toBeNull();
    return;
  }
  const validate = validatorFor(schema);
  // Only an error a deviation of the operation explains (helpers/reference.ts, with its reason) is let through.
  const errors = validate(answer.body) ? [] : unexplainedErrors(t.op.operationId, validate.errors);
  expect(errors, call).toEqual([]);
}

/** Polls a progress tool until the job leaves in_progress, as a model following the tool's advice does. */
async function poll(name: string, args: Record<string, unknown>): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const p = await tool(name, args);
    if (p.status !== 'in_progress') return p;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${name} still in_progress`);
}

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

describe("the reference's MCP client against Scenarist", () => {
  const w = {} as { project: number; agent: number; personality: number; scenario: number; other: number; session: number };

  it('sets up a project, an agent with its knowledge base, callers, profiles, tools and metrics', async () => {
    expect((await tool('projects_list', {})).length).toBeGreaterThan(0);
    w.project = (await tool('projects_create', { name: 'Support line' })).id;
    expect((await tool('projects_retrieve', { id: w.project })).name).toBe('Support line');
    expect((await tool('projects_partial_update', { id: w.project, timezone: 'Europe/Berlin' })).timezone).toBe('Europe/Berlin');

    const agent = await tool('aiagents_create', {
      name: 'Billing desk',
      description: 'Answers billing questions for Acme Telecom.',
      project: w.project,
      inbound: true,
      knowledge_base_files: [{ file_name: 'fees.md', content_base64: b64('# Late fees\nA late fee is 5 EUR.') }],
    });
    w.agent = agent.id;
    expect(agent.knowledge_base_files.map((f: { file_name: string }) => f.file_name)).toEqual(['fees.md']);
    expect((await tool('aiagents_list', { project_id: w.project })).results.map((a: { id: number }) => a.id)).toContain(w.agent);
    expect((await tool('aiagents_retrieve', { id: w.agent })).name).toBe('Billing desk');
    await tool('aiagents_partial_update', { id: w.agent, description: 'Answers billing and roaming questions for Acme Telecom.' });
    const uploaded = await tool('aiagents_upload_knowledge_base', {
      id: w.agent,
      files: [{ name: 'roaming.txt', content_base64: `data:text/plain;base64,${b64('Roaming costs 2 EUR a day.')}` }],
    });
    expect(uploaded.results[0].file_name).toBe('roaming.txt');

    const callers = await tool('personalities_list', { project_id: w.project });
    w.personality = callers[0].id;
    const own = await tool('personalities_create', { name: 'Hurried caller', background_noise: 'street', voice_model: 'sonic', project: w.project });
    expect((await tool('personalities_retrieve', { id: own.id })).background_noise).toBe('street');
    await tool('personalities_partial_update', { id: own.id, description: 'Talks fast and interrupts.' });

    const profile = await tool('test_profiles_create', { name: 'Gold customer', agent: w.agent, information: { plan: 'gold' } });
    expect((await tool('test_profiles_list', { agent_id: w.agent })).map((p: { id: number }) => p.id)).toContain(profile.id);
    await tool('test_profiles_retrieve', { id: profile.id });
    await tool('test_profiles_partial_update', { id: profile.id, name: 'Platinum customer' });
    await tool('test_profiles_destroy', { id: profile.id });

    const listed = await tool('tools_list', { project_id: w.project });
    await tool('tools_retrieve', { id: listed.results[0].id });

    const metric = await tool('metrics_create', { name: 'Greets', description: 'Did the agent greet?', project: w.project, eval_type: 'binary' });
    expect((await tool('metrics_list', { project_id: w.project })).map((m: { id: number }) => m.id)).toContain(metric.id);
    await tool('metrics_retrieve', { id: metric.id });
    await tool('metrics_partial_update', { id: metric.id, is_critical: true });
  });

  it('writes scenarios and folders', async () => {
    const made = await tool('scenarios_create', {
      name: 'Disputes a late fee',
      personality: w.personality,
      agent: w.agent,
      instructions: 'You were charged a late fee you think is wrong.',
      tool_ids: ['TOOL_END_CALL'],
      tags: ['billing'],
    });
    w.scenario = made.id;
    w.other = (await tool('scenarios_create', { name: 'Asks about roaming', personality: w.personality, agent: w.agent, tags: ['roaming'] })).id;
    const listed = await tool('scenarios_list', { project_id: w.project, tags: ['billing', 'roaming'], page_size: 10 });
    expect(listed.count).toBe(2);
    expect((await tool('scenarios_retrieve', { id: w.scenario })).name).toBe('Disputes a late fee');

    await tool('scenarios_folder_create', { name: 'Billing', project_id: w.project });
    await tool('scenarios_folder_create', { name: 'Old', project_id: w.project });
    expect((await tool('scenarios_folders_list', { project_id: w.project })).count).toBeGreaterThanOrEqual(2);
    await tool('scenarios_partial_update', { id: w.scenario, folder_path: 'Billing', expected_outcome_prompt: 'The agent explains the fee.' });
    await tool('scenarios_folder_rename', { path: 'Billing', name: 'Fees', project_id: w.project });
    await tool('scenarios_folder_move', { path: 'Old', new_parent_path: 'Fees', project_id: w.project });
    await tool('scenarios_folder_delete', { path: 'Fees.Old', project_id: w.project });
    expect((await tool('scenarios_retrieve', { id: w.scenario })).folder_path).toBe('Fees');

    const updated = await tool('scenarios_bulk_update', { scenarios: [w.scenario, w.other], project: w.project, first_message: 'Hello?' });
    expect(updated.first_message).toBe('Hello?');
    const copies = await tool('scenarios_duplicate_create', { project: w.project, copy_to_project: w.project, scenarios: [w.other] });
    expect(copies.results[0].name).toBe('Copy of Asks about roaming');
  });

  it('runs the scenario agent: improve, apply what it suggested, improve-and-apply, clarify', async () => {
    const started = await tool('scenarios_refine', { scenarios: [w.scenario], user_message: 'Add the DTMF tool', agent_id: w.agent });
    const improved = await poll('scenarios_refine_progress', { progress_id: started.progress_id });
    expect(improved).toMatchObject({ status: 'completed', mode: 'improve' });
    expect(improved.result.updated_scenarios).toHaveLength(1);

    const applying = await tool('scenarios_refine', {
      apply_changes: true,
      updated_scenarios: improved.result.updated_scenarios,
      session_id: started.session_id,
    });
    const applied = await poll('scenarios_refine_progress', { progress_id: applying.progress_id });
    expect(applied.result.applied_scenario_ids).toEqual([w.scenario]);
    expect((await tool('scenarios_retrieve', { id: w.scenario })).tool_ids).toContain('TOOL_DTMF');

    const both = await tool('scenarios_refine', {
      scenarios: 'all',
      agent_id: w.agent,
      user_message: 'Set the max duration to 300 seconds',
      apply_changes: true,
    });
    expect((await poll('scenarios_refine_progress', { progress_id: both.progress_id })).status).toBe('completed');

    const clarifying = await tool('scenarios_refine', { agent_id: w.agent, user_message: 'Callers disputing roaming charges', num_scenarios: 2 });
    expect((await poll('scenarios_refine_progress', { progress_id: clarifying.progress_id })).mode).toBe('clarify');
  });

  it('generates scenarios in the background and writes instructions', async () => {
    const bg = await tool('scenarios_generate_bg', {
      agent_id: w.agent,
      num_scenarios: 2,
      extra_instructions: 'Callers asking why a late fee was charged.',
      tool_ids: ['TOOL_END_CALL'],
    });
    const generated = await poll('scenarios_generate_progress', { progress_id: bg.progress_id });
    expect(['completed', 'pending_clarification']).toContain(generated.status);

    const gen = await tool('scenarios_generate_instructions_create', {
      agent: w.agent,
      personality: w.personality,
      name: 'Asks for a payment plan',
      extra_instructions: 'The caller cannot pay the bill this month.',
    });
    const written = await poll('scenarios_instructions_progress_retrieve', { progress_id: gen.progress_id });
    expect(written.status).toBe('completed');
    const imp = await tool('scenarios_improve_instructions_create', {
      agent: w.agent,
      extra_instructions: 'Make the caller more impatient.',
      current_instructions: 'You ask for a payment plan.',
    });
    expect((await poll('scenarios_instructions_progress_retrieve', { progress_id: imp.progress_id })).status).toBe('completed');
  });

  it('keeps sessions, their conversation written back as well', async () => {
    const session = await tool('scenario_improvement_sessions_create', { project: w.project, title: 'Fees', scenario_selection: [w.scenario] });
    w.session = session.id;
    expect((await tool('scenario_improvement_sessions_list', { project_id: w.project })).map((x: { id: number }) => x.id)).toContain(w.session);
    const history = [
      { role: 'user', content: 'Make the fee scenarios harder.', timestamp: '2026-01-05T10:00:00Z', tool_calls: [] },
      { role: 'assistant', content: 'Which fees?', timestamp: '2026-01-05T10:00:05Z', tool_calls: [] },
    ];
    const patched = await tool('scenario_improvement_sessions_partial_update', { id: w.session, title: 'Late fees', conversation_history: history });
    expect(patched.conversation_history.map((t: { content: string }) => t.content)).toEqual(history.map((t) => t.content));
    expect((await tool('scenario_improvement_sessions_retrieve', { id: w.session })).title).toBe('Late fees');
  });

  it('deletes what it made', async () => {
    await tool('scenarios_bulk_delete', { scenarios: [w.other], project_id: w.project });
    await tool('scenarios_destroy', { id: w.scenario });
    const gone = (await tool('aiagents_create', { name: 'Temp', description: 'Temporary.', project: w.project, inbound: false })).id;
    await tool('aiagents_destroy', { id: gone, delete_related: true });
    const doomed = (await tool('projects_create', { name: 'Doomed' })).id;
    await tool('projects_destroy', { id: doomed });
  });

  it("takes the request examples the reference's tools carry, as a model copies them, and every filter they declare", async () => {
    const project = (await tool('projects_create', { name: 'Examples' })).id;
    // The reference's "most common" v2 agent, and its other documented provider forms.
    const agent = (
      await tool('aiagents_create', {
        name: 'Support Bot',
        description: 'Handles inbound support calls',
        project,
        inbound: true,
        phone_number: '+14155551234',
        provider: { type: 'custom' },
      })
    ).id;
    expect((await tool('aiagents_retrieve', { id: agent })).telephony).toMatchObject({ phone_number: '+14155551234', inbound: true });
    await tool('aiagents_create', {
      name: 'WS Agent',
      description: 'Agent with websocket endpoint for text-mode test runs',
      project,
      inbound: false,
      provider: {
        type: 'custom',
        chat_agent_details: { type: 'self_hosted', config: { url: 'wss://staging.example.com/agent', headers: { Authorization: 'Bearer token' } } },
      },
    });
    await tool('aiagents_create', {
      name: 'VAPI Sales Agent',
      description: 'Outbound sales qualification',
      project,
      inbound: false,
      phone_number: '+14155551234',
      provider: { type: 'vapi', agent_id: 'asst_abc123xyz', credentials: { api_key: 'vapi_sk_xxx', config: { public_key: 'vapi_pk_xxx' } } },
    });
    await tool('aiagents_partial_update', { id: agent, agent_name: 'Support Bot v2', description: 'Updated description' });
    const personality = (await tool('personalities_list', { language: 'en' }))[0].id;
    const [m1, m2] = [
      (
        await tool('metrics_create', {
          project,
          name: 'Was the caller greeted by name',
          description: 'Score TRUE if the agent addressed the caller by their name within the first 3 turns, FALSE otherwise.',
          type: 'llm_judge',
          eval_type: 'binary',
          simulation_enabled: true,
          observability_enabled: true,
        })
      ).id,
      (
        await tool('metrics_create', {
          project,
          name: 'Call resolution outcome',
          description: 'Classify how the call ended.',
          type: 'llm_judge',
          eval_type: 'enum',
          enum_values: ['resolved', 'transferred', 'dropped'],
          observability_enabled: true,
        })
      ).id,
    ];
    await tool('metrics_partial_update', { id: m1, description: 'Updated rubric', is_critical: true });
    const billing = (
      await tool('scenarios_create', {
        agent,
        name: 'Frustrated patient asking about billing',
        scenario_type: 'instruction',
        instructions: 'You are a patient who just got a surprise bill.',
        personality,
        metrics: [m1, m2],
        tags: ['billing', 'angry-caller'],
      })
    ).id;
    const booking = (
      await tool('scenarios_create', {
        agent,
        name: 'Happy path booking',
        scenario_type: 'conditional_actions',
        personality,
        conditional_actions: {
          role: 'You are a patient booking a dental appointment',
          conditions: [
            { id: 0, condition: 'FIRST_MESSAGE', action: "Hi, I'd like to book a dental cleaning.", type: 'standard', fixed_message: true },
            { id: 1, condition: 'The agent confirms the appointment is booked', action: 'Great, thanks! <endcall />', type: 'standard', fixed_message: false },
          ],
        },
      })
    ).id;
    await tool('scenarios_partial_update', { id: billing, name: 'Refund flow v2', instructions: 'Ask for the order ID before refunding.' });
    await tool('scenarios_folder_create', { name: 'Sales', project_id: project });
    await tool('scenarios_folder_create', { name: 'Inbound', parent_path: 'Sales', project_id: project });
    await tool('scenarios_bulk_update', { agent, scenarios: [billing, booking], metric_ids_to_add: [m1, m2] });
    await tool('scenarios_bulk_update', { agent, scenarios: [billing, booking], folder_path: 'Sales.Inbound', personality });
    await tool('scenarios_duplicate_create', {
      project,
      copy_to_project: project,
      scenario_agent: agent,
      scenarios: [billing, booking],
      folder_path: 'SMS agent - Papi Cleaning',
    });
    await tool('test_profiles_create', {
      agent,
      name: 'Profile',
      information: { main_agent_variables: { user_id: 'u1', account_id: 'a1' }, testing_agent_variables: { user_name: 'Ann', user_email: 'ann@example.com' } },
    });
    await tool('test_profiles_create', { project, name: 'Project profile', information: { main_agent_variables: { user_id: 'u2' } } });
    // A partner's published request: improve every scenario of the agent and apply in one job.
    const telnyx = await tool('scenarios_refine', {
      user_message: 'Make the callers ask about damaged packaging too.',
      scenarios: 'all',
      agent_id: agent,
      apply_changes: true,
    });
    expect((await poll('scenarios_refine_progress', { progress_id: telnyx.progress_id })).status).not.toBe('failed');

    // Every query parameter the list tools declare, lists joined as the client joins them.
    // The billing scenario and its copy.
    expect((await tool('scenarios_list', { agent_id: agent, tags: ['billing', 'angry-caller'], tag_filter_type: 'and', page: 1, page_size: 5 })).count).toBe(2);
    expect((await tool('scenarios_list', { project_id: project, folder_path: '' })).count).toBe(0);
    expect((await tool('scenarios_folders_list', { project_id: project, parent_path: 'Sales', search: 'In', page_size: 10 })).count).toBe(1);
    await tool('metrics_list', { project_id: project, agents: [agent], include_scores: true });
    expect((await tool('aiagents_list', { project_id: project, q: 'Support', page_size: 10 })).count).toBe(1);
    await tool('projects_list', { project_id: project });
    await tool('tools_list', { search: 'dtmf', agent_id: agent, page_size: 5 });
    await tool('test_profiles_list', { project_id: project });
    await tool('scenarios_bulk_delete', { agent_id: agent, scenarios: [booking] });
    await tool('aiagents_destroy', { id: agent, delete_related: true });

    // Importing an agent from its provider is the one documented form Scenarist cannot serve: it says so.
    const imported = await callTool(s.url, s.key, tools.get('aiagents_create')!, {
      project,
      provider: { type: 'retell', agent_id: 'agent_abc123', credentials: { api_key: 'key_xxx' }, configure_from_provider: true },
    });
    expect(imported.status).toBe(400);
    expect((imported.body as { agent_name: string[] }).agent_name[0]).toContain('configure_from_provider');
  });

  it('called every tool the reference exposes for these operations', () => {
    expect([...tools.keys()].filter((n) => !called.has(n))).toEqual([]);
  });
});
