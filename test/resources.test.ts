import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let project: number;

beforeAll(async () => {
  s = await startTestServer({ SCENARIST_UPLOAD_LIMIT: '4096' });
  project = s.defaultProjectId;
});
afterAll(async () => s?.stop());

function upload(name: string, content: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([content]), name);
  return s.api('POST', 'knowledge-base-files/', form);
}

describe('agents', () => {
  it('create, list (paginated, searchable), update and delete', async () => {
    const a = await s.api('POST', 'aiagents/', { project, agent_name: 'Billing bot', description: 'Handles billing.', language: 'de' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ project, agent_name: 'Billing bot', language: 'de', inbound: true, knowledge_base_files: [] });
    const list = await s.api('GET', `aiagents/?project_id=${project}&q=billing`);
    expect(list.body).toMatchObject({ count: 1, next: null, previous: null, results: [{ id: a.body.id }] });
    expect((await s.api('PATCH', `aiagents/${a.body.id}/`, { description: 'Billing and refunds.' })).body.description).toBe('Billing and refunds.');
    expect((await s.api('POST', 'aiagents/', { project: 999999, agent_name: 'x' })).body).toEqual({ project: [expect.stringContaining('Invalid pk')] });
    expect((await s.api('POST', 'aiagents/', { project, agent_name: '', language: 'klingon' })).status).toBe(400);
    expect((await s.api('DELETE', `aiagents/${a.body.id}/`)).status).toBe(204);
    expect((await s.api('GET', `aiagents/${a.body.id}/`)).status).toBe(404);
  });
});

describe('personalities', () => {
  it('lists the predefined set as a plain array and keeps them read-only', async () => {
    const list = await s.api('GET', 'personalities/');
    expect(Array.isArray(list.body)).toBe(true);
    const normal = list.body.find((p: any) => p.name === 'Normal Male');
    expect(normal).toMatchObject({ is_predefined: true, language: 'en' });
    expect((await s.api('PATCH', `personalities/${normal.id}/`, { name: 'Mine' })).body).toEqual({ non_field_errors: [expect.any(String)] });
    expect((await s.api('DELETE', `personalities/${normal.id}/`)).status).toBe(400);
    expect((await s.api('GET', 'personalities/?language=es')).body.map((p: any) => p.name)).toEqual(['Spanish Speaker']);
  });

  it("creates our own, and will not delete one a scenario uses", async () => {
    const p = await s.api('POST', 'personalities/', { name: 'Chatty', description: 'Talks a lot', project });
    expect(p.status).toBe(201);
    const sc = await s.api('POST', 'scenarios/', { name: 'Uses chatty', project, personality: p.body.id });
    expect(sc.status).toBe(201);
    expect((await s.api('DELETE', `personalities/${p.body.id}/`)).body.non_field_errors[0]).toContain('1 scenario');
    await s.api('DELETE', `scenarios/${sc.body.id}/`);
    expect((await s.api('DELETE', `personalities/${p.body.id}/`)).status).toBe(204);
  });
});

describe('test profiles and metrics', () => {
  it('test profiles answer 200 on create, infer the project from the agent and replace information', async () => {
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Profiles bot' })).body.id;
    const tp = await s.api('POST', 'test-profiles/', { agent, name: 'VIP', information: { main_agent_variables: { user_id: 'U1' }, testing_agent_variables: { user_name: 'Ann' } } });
    expect(tp.status).toBe(200);
    expect(tp.body).toMatchObject({ project, agent, agent_name: 'Profiles bot', created_by: expect.any(Number), scenarios: [] });
    const patched = await s.api('PATCH', `test-profiles/${tp.body.id}/`, { information: { user_name: 'Bob' } });
    expect(patched.body.information).toEqual({ user_name: 'Bob' });
    expect((await s.api('GET', `test-profiles/?agent_id=${agent}`)).body).toHaveLength(1);
    expect((await s.api('POST', 'test-profiles/', { name: 'Nowhere' })).body).toHaveProperty('non_field_errors');
    expect((await s.api('POST', 'test-profiles/', { project, name: 'Bad', information: [1, 2] })).status).toBe(400);
  });

  it('metrics are a plain array and can be referenced by scenarios', async () => {
    const m = await s.api('POST', 'metrics/', { project, name: 'Politeness' });
    expect(m.status).toBe(201);
    expect((await s.api('GET', `metrics/?project_id=${project}`)).body.map((x: any) => x.name)).toContain('Politeness');
    const normal = (await s.api('GET', 'personalities/')).body[0].id;
    const sc = await s.api('POST', 'scenarios/', { name: 'Measured', project, personality: normal, metrics: [m.body.id] });
    expect(sc.body).toMatchObject({ metrics: [m.body.id], metric_names: ['Politeness'] });
  });
});

describe('knowledge base files', () => {
  it('stores the text of .txt and .md uploads', async () => {
    const txt = await upload('faq.txt', 'Refunds take 30 days.', { project: String(project) });
    expect(txt.status, JSON.stringify(txt.body)).toBe(201);
    expect(txt.body[0]).toMatchObject({ file_name: 'faq.txt', file_type: 'text/plain', file_size: 21, text_length: 21 });
    const md = await upload('policy.md', '# Cancellations\nCancel any time.', { project: String(project) });
    expect(md.body[0].file_type).toBe('text/markdown');
    const detail = await s.api('GET', `knowledge-base-files/${md.body[0].id}/`);
    expect(detail.body.text).toBe('# Cancellations\nCancel any time.');
    expect((await s.api('GET', `knowledge-base-files/?project_id=${project}`)).body.count).toBe(2);
  });

  it('accepts JSON with base64 content', async () => {
    const res = await s.api('POST', 'knowledge-base-files/', { project, files: [{ name: 'notes.md', content_base64: Buffer.from('Hello').toString('base64') }] });
    expect(res.status).toBe(201);
    expect((await s.api('GET', `knowledge-base-files/${res.body[0].id}/`)).body.text).toBe('Hello');
  });

  it('rejects unsupported types, unreadable PDFs, oversized files and missing owners without storing anything', async () => {
    const before = (await s.api('GET', 'knowledge-base-files/')).body.count;
    expect((await upload('virus.exe', 'MZ', { project: String(project) })).body).toEqual({ file: [expect.stringContaining('.exe')] });
    expect((await upload('broken.pdf', 'not a pdf', { project: String(project) })).body).toEqual({ file: [expect.any(String)] });
    const big = await upload('big.txt', 'x'.repeat(5000), { project: String(project) });
    expect(big).toMatchObject({ status: 413, body: { detail: expect.any(String) } });
    expect((await upload('a.txt', 'x', {})).body).toHaveProperty('non_field_errors');
    expect((await upload('a.txt', 'x', { project: 'abc' })).body).toHaveProperty('project');
    expect((await s.api('GET', 'knowledge-base-files/')).body.count).toBe(before);
  });
});

describe('tools', () => {
  it('lists predefined tools first, adds our own, and keeps predefined ones read-only', async () => {
    const list = await s.api('GET', 'tools/');
    expect(list.body.results.slice(0, 2).map((t: any) => t.id)).toEqual(['TOOL_END_CALL', 'TOOL_END_CALL_ONLY_ON_TRANSFER']);
    const mine = await s.api('POST', 'tools/', { id: 'TOOL_LOOKUP_ORDER', name: 'Lookup order' });
    expect(mine.status).toBe(201);
    expect((await s.api('POST', 'tools/', { id: 'TOOL_LOOKUP_ORDER', name: 'Again' })).status).toBe(400);
    expect((await s.api('POST', 'tools/', { id: 'bad id', name: 'x' })).status).toBe(400);
    expect((await s.api('PATCH', 'tools/TOOL_DTMF/', { name: 'x' })).status).toBe(400);
    const normal = (await s.api('GET', 'personalities/')).body[0].id;
    const sc = await s.api('POST', 'scenarios/', { name: 'Uses my tool', project, personality: normal, tool_ids: ['TOOL_LOOKUP_ORDER', 'TOOL_DTMF'] });
    expect(sc.status).toBe(201);
    expect((await s.api('GET', 'tools/?search=lookup')).body.results.map((t: any) => t.id)).toEqual(['TOOL_LOOKUP_ORDER']);
  });
});

describe('isolation', () => {
  it("another organization sees none of ours and cannot attach to our project", async () => {
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Private bot' })).body.id;
    const other = await s.otherOrganization();
    expect((await other.api('GET', `aiagents/${agent}/`)).status).toBe(404);
    expect((await other.api('DELETE', `aiagents/${agent}/`)).status).toBe(404);
    expect((await other.api('GET', 'aiagents/')).body.count).toBe(0);
    expect((await other.api('POST', 'metrics/', { agent, name: 'x' })).status).toBe(400);
    expect((await other.api('POST', 'aiagents/', { project, agent_name: 'x' })).status).toBe(400);
    expect((await other.api('GET', 'knowledge-base-files/')).body.count).toBe(0);
    expect((await other.api('GET', 'tools/')).body.results.every((t: any) => t.is_predefined)).toBe(true);
  });
});
