import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore } from './helpers/agent.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { pacedEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let cli: CliRunner;
let agent: number;
let ids: number[];

beforeAll(async () => {
  s = await startTestServer({}, { engine: pacedEngine(20) });
  cli = await cliRunner(s);
  agent = await insertAgent(s.running.store.db, s.defaultProjectId);
  const personality = await personalityIdFromStore(s.running.store.db);
  ids = [];
  for (const name of ['Refund for a double charge', 'Upgrade to the unlimited plan', 'Cancel a contract'])
    ids.push((await createScenario(s.api, { name, agent, personality, tags: ['billing'], instructions: `You call about: ${name}.` })).id);
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
});

async function httpClient(key: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), { requestInit: { headers: { 'X-CEKURA-API-KEY': key } } }));
  return client;
}

async function stdioClient(key: string): Promise<Client> {
  const [command, ...args] = cli.argv(['mcp']);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command: command!,
      args,
      env: cli.env({ SCENARIST_API_KEY: key }),
      cwd: path.resolve(import.meta.dirname, '..'),
      stderr: 'pipe',
    }),
  );
  return client;
}

const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

describe.each([
  ['Streamable HTTP', httpClient],
  ['stdio', stdioClient],
])('MCP over %s', (_transport, connect) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(s.key);
  });
  afterAll(async () => client?.close());

  it('lists the loop tools and the reference-named tools, with schemas', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['find_scenarios', 'improve_scenarios', 'show_suggestions', 'apply_suggestions', 'cancel_job', 'revert_scenario']),
    );
    expect(names).toEqual(
      expect.arrayContaining(['scenarios_list', 'scenarios_retrieve', 'scenarios_refine', 'scenarios_refine_progress', 'scenarios_partial_update']),
    );
    const refine = tools.find((t) => t.name === 'scenarios_refine')!;
    expect(refine.inputSchema.properties).toHaveProperty('user_message');
    expect(refine.inputSchema.properties).toHaveProperty('scenarios');
    const retrieve = tools.find((t) => t.name === 'scenarios_retrieve')!;
    expect(retrieve.inputSchema.required).toContain('id');
  });

  it('carries out a whole round: improve with progress, review by field, apply a subset, and the database holds exactly that', async () => {
    const progress: number[] = [];
    const improved = await client.callTool(
      { name: 'improve_scenarios', arguments: { scenarios: ids, agent_id: agent, user_message: 'Add tag regression and limit calls to 4 minutes' } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(improved.isError).toBeFalsy();
    const job = improved.structuredContent as { progress_id: string; status: string; result: { updated_scenarios: Array<{ id: number }> } };
    expect(job.status).toBe('completed');
    expect(job.result.updated_scenarios.map((u) => u.id).sort()).toEqual([...ids].sort());
    expect(progress.length).toBeGreaterThan(0);
    expect(text(improved)).toMatch(/Summary by field:\n\s+max_duration × 3/);
    expect(text(improved)).toMatch(/tags \+regression × 3/);

    const shown = await client.callTool({ name: 'show_suggestions', arguments: { progress_id: job.progress_id } });
    expect(text(shown)).toContain('Nothing is written yet');
    expect((await s.api('GET', `scenarios/${ids[0]}/`)).body.tags).toEqual(['billing']);

    // Without confirmation nothing is written: the answer previews what would be.
    const unconfirmed = await client.callTool({
      name: 'apply_suggestions',
      arguments: { progress_id: job.progress_id, confirm: false, scenario_ids: [ids[0]], fields: ['tags'] },
    });
    expect(unconfirmed.isError).toBe(true);
    expect(text(unconfirmed)).toMatch(/This would apply 1 suggestion\(s\):\n\s+tags \+regression × 1/);

    const applied = await client.callTool({
      name: 'apply_suggestions',
      arguments: { progress_id: job.progress_id, confirm: true, scenario_ids: [ids[0]], fields: ['tags'] },
    });
    expect(applied.isError, text(applied)).toBeFalsy();
    expect((applied.structuredContent as { result: { applied_scenario_ids: number[] } }).result.applied_scenario_ids).toEqual([ids[0]]);
    const first = (await s.api('GET', `scenarios/${ids[0]}/`)).body;
    expect(first.tags).toEqual(['billing', 'regression']);
    expect(first.max_duration).not.toBe(4);
    expect((await s.api('GET', `scenarios/${ids[1]}/`)).body.tags).toEqual(['billing']);

    // Undo through the reference-named history and our revert.
    const revisions = (await s.api('GET', `scenarios/${ids[0]}/revisions/`)).body.results as Array<{ revision: number }>;
    const original = Math.min(...revisions.map((r) => r.revision));
    const reverted = await client.callTool({ name: 'revert_scenario', arguments: { scenario_id: ids[0], revision: original, confirm: true } });
    expect(reverted.isError, text(reverted)).toBeFalsy();
    expect((await s.api('GET', `scenarios/${ids[0]}/`)).body.tags).toEqual(['billing']);
  });

  it("serves the reference-named tools with the reference server's flat arguments", async () => {
    const list = await client.callTool({ name: 'scenarios_list', arguments: { agent_id: agent, page_size: 2 } });
    expect(list.isError).toBeFalsy();
    expect(JSON.parse(text(list))).toMatchObject({ count: 3, results: expect.any(Array) });
    const patched = await client.callTool({ name: 'scenarios_partial_update', arguments: { id: ids[2], first_message: 'Hello there', skill_ack: 'ack:x' } });
    expect(patched.isError, text(patched)).toBeFalsy();
    expect((await s.api('GET', `scenarios/${ids[2]}/`)).body.first_message).toBe('Hello there');
    const started = await client.callTool({ name: 'scenarios_refine', arguments: { scenarios: [ids[2]], user_message: 'Add tag flat' } });
    const { progress_id } = JSON.parse(text(started));
    const followed = await client.callTool({ name: 'follow_job', arguments: { progress_id } });
    expect((followed.structuredContent as { status: string }).status).toBe('completed');
    const polled = await client.callTool({ name: 'scenarios_refine_progress', arguments: { progress_id } });
    expect(JSON.parse(text(polled))).toMatchObject({ progress_id, status: 'completed' });
  });

  it('cancels a running job', async () => {
    const started = await client.callTool({
      name: 'improve_scenarios',
      arguments: { scenarios: [ids[1]], agent_id: agent, user_message: 'slow change', wait: false },
    });
    const { progress_id } = started.structuredContent as { progress_id: string };
    const cancelled = await client.callTool({ name: 'cancel_job', arguments: { progress_id } });
    expect(cancelled.isError, text(cancelled)).toBeFalsy();
    const after = await client.callTool({ name: 'follow_job', arguments: { progress_id, timeout_seconds: 10 } });
    expect((after.structuredContent as { status: string }).status).toBe('cancelled');
  });

  it('says why a job failed and that the same call may work later, when its cause passes', async () => {
    const failed = await client.callTool({
      name: 'improve_scenarios',
      arguments: { scenarios: [ids[2]], agent_id: agent, user_message: 'Tag them during an outage', timeout_seconds: 30 },
    });
    expect(failed.structuredContent).toMatchObject({ status: 'failed', failure_kind: 'model_unavailable', retry_request: { scenarios: [ids[2]] } });
    expect(text(failed)).toContain('Why: the model timed out, could not be reached, was rate limited or had a server error.');
    expect(text(failed)).toContain('The same tool call may work later, with the same arguments');
  });

  it('refuses malformed arguments with the field named, and reaches the API with none of them', async () => {
    const bad = await client.callTool({ name: 'improve_scenarios', arguments: { scenarios: 'some', user_message: 42 } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/user_message/);
    const badRef = await client.callTool({ name: 'scenarios_partial_update', arguments: { id: ids[0], max_duration: 'long' } });
    expect(badRef.isError).toBe(true);
    expect(text(badRef)).toMatch(/^400: max_duration/);
  });

  it("finds no other organization's data", async () => {
    const other = await s.otherOrganization();
    const theirs = await connect(other.key);
    try {
      const shown = await theirs.callTool({ name: 'show_scenario', arguments: { scenario_id: ids[0] } });
      expect(shown.isError).toBe(true);
      expect(text(shown)).toMatch(/^404/);
      const listed = await theirs.callTool({ name: 'find_scenarios', arguments: {} });
      expect(listed.structuredContent).toMatchObject({ count: 0 });
      const ref = await theirs.callTool({ name: 'scenarios_retrieve', arguments: { id: ids[0] } });
      expect(ref.isError).toBe(true);
      const applied = await theirs.callTool({ name: 'apply_suggestions', arguments: { progress_id: '00000000-0000-4000-8000-000000000000', confirm: true } });
      expect(applied.isError).toBe(true);
    } finally {
      await theirs.close();
    }
  });

  it('lists a resource per project with its scenarios', async () => {
    const { resources } = await client.listResources();
    const uri = `scenarist://projects/${s.defaultProjectId}/scenarios`;
    expect(resources.map((r) => r.uri)).toContain(uri);
    const read = await client.readResource({ uri });
    const rows = JSON.parse((read.contents[0] as { text: string }).text) as Array<{ id: number }>;
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
  });
});

describe('MCP with a wrong key', () => {
  it('over HTTP is refused before any tool runs', async () => {
    const res = await fetch(`${s.url}/mcp`, {
      method: 'POST',
      headers: { 'X-CEKURA-API-KEY': 'sk_scn_wrong', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Invalid API key.' });
  });

  it('over stdio answers every tool with the API refusal', async () => {
    const client = await stdioClient('sk_scn_wrong');
    try {
      const r = await client.callTool({ name: 'find_scenarios', arguments: {} });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/401: Invalid API key/);
    } finally {
      await client.close();
    }
  });
});
