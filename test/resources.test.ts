import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../src/domain/errors.js';
import { loadProjectFacts } from '../src/store/agent-context.js';
import { decodeBase64Content, extensionOf, extractText } from '../src/store/knowledge-base-files.js';
import { allowedToolIds } from '../src/store/scenarios.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const kb = (name: string) => fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/kb', name));

const UPLOAD_LIMIT = 4096;
let s: TestServer;
let project: number;
let org: number;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;

beforeAll(async () => {
  // With SCENARIST_TEST_PG=1 the same HTTP checks run on PostgreSQL, where LIKE and NUL differ.
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer({ SCENARIST_UPLOAD_LIMIT: String(UPLOAD_LIMIT), ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) });
  project = s.defaultProjectId;
  org = (await s.running.store.db.selectFrom('projects').select('organization_id').where('id', '=', project).executeTakeFirstOrThrow()).organization_id;
});
afterAll(async () => {
  await s?.stop();
  await pgDb?.drop();
});

function upload(name: string, content: string | Buffer, fields: Record<string, string>, api = s.api) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([typeof content === 'string' ? content : new Uint8Array(content)]), name);
  return api('POST', 'knowledge-base-files/', form);
}

const personalityId = async () => (await s.api('GET', 'personalities/')).body[0].id as number;

describe('agents', () => {
  it('create, list (paginated, searchable), retrieve, PATCH, PUT and delete', async () => {
    const a = await s.api('POST', 'aiagents/', { project, agent_name: 'Billing bot', description: 'Handles billing.', language: 'de' });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ project, agent_name: 'Billing bot', language: 'de', inbound: true, assistant_id: null, knowledge_base_files: [] });
    const list = await s.api('GET', `aiagents/?project_id=${project}&q=BILLING`);
    expect(list.body).toMatchObject({ count: 1, next: null, previous: null, results: [{ id: a.body.id }] });
    expect((await s.api('GET', `aiagents/${a.body.id}/`)).body.agent_name).toBe('Billing bot');
    const patched = await s.api('PATCH', `aiagents/${a.body.id}/`, { description: 'Billing and refunds.', inbound: false });
    expect(patched.body).toMatchObject({ description: 'Billing and refunds.', inbound: false, language: 'de' });
    const put = await s.api('PUT', `aiagents/${a.body.id}/`, { project, agent_name: 'Billing agent', assistant_id: 'asst_1' });
    expect(put.body).toMatchObject({ agent_name: 'Billing agent', assistant_id: 'asst_1' });
    expect((await s.api('DELETE', `aiagents/${a.body.id}/`)).status).toBe(204);
    expect((await s.api('GET', `aiagents/${a.body.id}/`)).status).toBe(404);
  });

  it('pages the list with absolute next/previous links', async () => {
    const p = (await s.api('POST', 'projects/', { name: 'Paging' })).body.id;
    for (const n of ['A', 'B', 'C']) await s.api('POST', 'aiagents/', { project: p, agent_name: n });
    const first = await s.api('GET', `aiagents/?project_id=${p}&page_size=2`);
    expect(first.body).toMatchObject({ count: 3, previous: null });
    expect(first.body.results.map((x: any) => x.agent_name)).toEqual(['A', 'B']);
    expect(first.body.next).toMatch(/^http:\/\/.*page=2/);
    const second = await s.api('GET', `aiagents/?project_id=${p}&page_size=2&page=2`);
    expect(second.body.results.map((x: any) => x.agent_name)).toEqual(['C']);
    expect(second.body.next).toBeNull();
  });

  it('answers field errors for bad input and references', async () => {
    expect((await s.api('POST', 'aiagents/', { project: 999999, agent_name: 'x' })).body).toEqual({
      project: ['Invalid pk "999999" - object does not exist.'],
    });
    const bad = await s.api('POST', 'aiagents/', { project, agent_name: '', language: 'klingon', inbound: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual(['agent_name', 'extra', 'inbound', 'language']);
    expect((await s.api('POST', 'aiagents/', { agent_name: 'x' })).body).toHaveProperty('project');
    expect((await s.api('POST', 'aiagents/', { project, agent_name: 'x'.repeat(256) })).body).toHaveProperty('agent_name');
    const a = (await s.api('POST', 'aiagents/', { project, agent_name: 'Stays' })).body.id;
    const other = (await s.api('POST', 'projects/', { name: 'Elsewhere' })).body.id;
    expect((await s.api('PATCH', `aiagents/${a}/`, { project: other })).body).toHaveProperty('project');
    expect((await s.api('GET', 'aiagents/?project_id=987654')).body).toMatchObject({ count: 0, results: [] });
  });
});

describe('personalities', () => {
  it('lists the predefined set as a plain array and keeps them read-only', async () => {
    const list = await s.api('GET', 'personalities/');
    expect(Array.isArray(list.body)).toBe(true);
    const normal = list.body.find((p: any) => p.name === 'Normal Male');
    expect(normal).toMatchObject({ is_predefined: true, language: 'en' });
    // The reference types project as an integer: one of no project has none.
    expect(normal).not.toHaveProperty('project');
    const readOnly = { non_field_errors: ['Predefined personalities cannot be changed; create your own instead.'] };
    expect((await s.api('PATCH', `personalities/${normal.id}/`, { name: 'Mine' })).body).toEqual(readOnly);
    expect((await s.api('PUT', `personalities/${normal.id}/`, { name: 'Mine' })).body).toEqual(readOnly);
    expect((await s.api('DELETE', `personalities/${normal.id}/`)).body).toEqual(readOnly);
    expect((await s.api('GET', `personalities/${normal.id}/`)).body.name).toBe('Normal Male');
    expect((await s.api('GET', 'personalities/?language=es')).body.map((p: any) => p.name)).toEqual(['Spanish Speaker']);
  });

  it('creates our own, scoped to a project, and PATCH / PUT them', async () => {
    const other = (await s.api('POST', 'projects/', { name: 'Personas elsewhere' })).body.id;
    const p = await s.api('POST', 'personalities/', { name: 'Chatty', description: 'Talks a lot', project: other, language: 'fr' });
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ name: 'Chatty', prompt: 'Talks a lot', is_predefined: false, project: other, language: 'fr' });
    const inOther = (await s.api('GET', `personalities/?project_id=${other}`)).body.map((x: any) => x.id);
    const inDefault = (await s.api('GET', `personalities/?project_id=${project}`)).body.map((x: any) => x.id);
    expect(inOther).toContain(p.body.id);
    expect(inDefault).not.toContain(p.body.id);
    expect(inDefault.length).toBe(inOther.length - 1);
    expect((await s.api('PATCH', `personalities/${p.body.id}/`, { accent: 'Québécois' })).body.accent).toBe('Québécois');
    const everywhere = await s.api('PUT', `personalities/${p.body.id}/`, { name: 'Very chatty', project: null });
    expect(everywhere.body).toMatchObject({ name: 'Very chatty' });
    expect(everywhere.body).not.toHaveProperty('project');
    expect((await s.api('POST', 'personalities/', { name: '' })).body).toHaveProperty('name');
    expect((await s.api('POST', 'personalities/', { name: 'x', language: 'xx' })).body).toHaveProperty('language');
    expect((await s.api('POST', 'personalities/', { name: 'x', project: 999999 })).body).toEqual({ project: ['Invalid pk "999999" - object does not exist.'] });
  });

  it('will not delete one a scenario uses, and says how many use it', async () => {
    const p = await s.api('POST', 'personalities/', { name: 'In use', project });
    const sc = await s.api('POST', 'scenarios/', { name: 'Uses it', project, personality: p.body.id });
    expect(sc.status).toBe(201);
    const refused = await s.api('DELETE', `personalities/${p.body.id}/`);
    expect(refused.status).toBe(400);
    expect(refused.body.non_field_errors[0]).toContain('1 scenario uses');
    expect((await s.api('GET', `personalities/${p.body.id}/`)).status).toBe(200);
    await s.api('DELETE', `scenarios/${sc.body.id}/`);
    expect((await s.api('DELETE', `personalities/${p.body.id}/`)).status).toBe(204);
  });
});

describe('test profiles', () => {
  it('answer 200 on create, infer the project from the agent and replace information wholesale', async () => {
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Profiles bot' })).body.id;
    const information = { main_agent_variables: { user_id: 'U1' }, testing_agent_variables: { user_name: 'Ann' } };
    const tp = await s.api('POST', 'test-profiles/', { agent, name: 'VIP', information });
    expect(tp.status).toBe(200);
    expect(tp.body).toMatchObject({ project, agent, agent_name: 'Profiles bot', information, created_by: expect.any(Number), scenarios: [] });
    expect(tp.body.last_updated_by).toBe(tp.body.created_by);
    const patched = await s.api('PATCH', `test-profiles/${tp.body.id}/`, { information: { user_name: 'Bob' } });
    expect(patched.body.information).toEqual({ user_name: 'Bob' });
    const put = await s.api('PUT', `test-profiles/${tp.body.id}/`, { name: 'VIP 2', information: {} });
    expect(put.body).toMatchObject({ name: 'VIP 2', information: {}, agent, project });
    const list = await s.api('GET', `test-profiles/?agent_id=${agent}`);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((x: any) => x.id)).toEqual([tp.body.id]);
    expect((await s.api('GET', 'test-profiles/?agent_id=987654')).body).toEqual([]);
    expect((await s.api('DELETE', `test-profiles/${tp.body.id}/`)).status).toBe(204);
  });

  it('without an agent has an empty agent_name, and needs an agent or a project', async () => {
    const tp = await s.api('POST', 'test-profiles/', { project, name: 'Plain' });
    expect(tp.body).toMatchObject({ agent: null, agent_name: '', information: {} });
    expect((await s.api('POST', 'test-profiles/', { name: 'Nowhere' })).body).toEqual({ non_field_errors: ['Either agent or project is required.'] });
    expect((await s.api('POST', 'test-profiles/', { project, name: 'Bad', information: [1, 2] })).body).toHaveProperty('information');
    expect((await s.api('POST', 'test-profiles/', { project, name: 'Bad', information: 'text' })).body).toHaveProperty('information');
    expect((await s.api('POST', 'test-profiles/', { agent: 987654, name: 'x' })).body).toEqual({ agent: ['Invalid pk "987654" - object does not exist.'] });
    expect((await s.api('PATCH', `test-profiles/${tp.body.id}/`, { project: null })).body).toHaveProperty('non_field_errors');
  });

  it('moving to another agent brings that agent’s project along', async () => {
    const other = (await s.api('POST', 'projects/', { name: 'Profiles elsewhere' })).body.id;
    const agent = (await s.api('POST', 'aiagents/', { project: other, agent_name: 'Elsewhere bot' })).body.id;
    const tp = (await s.api('POST', 'test-profiles/', { project, name: 'Mover' })).body;
    expect((await s.api('PATCH', `test-profiles/${tp.id}/`, { agent })).body).toMatchObject({ agent, project: other, agent_name: 'Elsewhere bot' });
    expect((await s.api('PATCH', `test-profiles/${tp.id}/`, { agent, project })).body).toHaveProperty('agent');
  });
});

describe('metrics', () => {
  it('CRUD as a plain array, and can be referenced by scenarios', async () => {
    const m = await s.api('POST', 'metrics/', { project, name: 'Politeness', description: 'Was the agent polite?' });
    expect(m.status).toBe(201);
    expect(m.body).toMatchObject({ project, agent: null, name: 'Politeness', description: 'Was the agent polite?' });
    const list = await s.api('GET', `metrics/?project_id=${project}`);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((x: any) => x.name)).toContain('Politeness');
    const sc = await s.api('POST', 'scenarios/', { name: 'Measured', project, personality: await personalityId(), metrics: [m.body.id] });
    expect(sc.body).toMatchObject({ metrics: [m.body.id], metric_names: ['Politeness'] });
    expect((await s.api('DELETE', `metrics/${m.body.id}/`)).body.non_field_errors[0]).toContain('1 scenario uses');
    expect((await s.api('PATCH', `metrics/${m.body.id}/`, { name: 'Courtesy' })).body.name).toBe('Courtesy');
    expect((await s.api('PUT', `metrics/${m.body.id}/`, { name: 'Courtesy 2', project })).body.name).toBe('Courtesy 2');
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Metric bot' })).body.id;
    const byAgent = await s.api('POST', 'metrics/', { agent, name: 'Accuracy' });
    expect(byAgent.body).toMatchObject({ agent, project });
    expect((await s.api('GET', `metrics/?agent_id=${agent}`)).body.map((x: any) => x.name)).toEqual(['Accuracy']);
    expect((await s.api('GET', 'metrics/?project_id=987654')).body).toEqual([]);
    expect((await s.api('POST', 'metrics/', { name: 'Orphan' })).body).toHaveProperty('non_field_errors');
    expect((await s.api('POST', 'metrics/', { project, name: '' })).body).toHaveProperty('name');
    expect((await s.api('DELETE', `metrics/${byAgent.body.id}/`)).status).toBe(204);
    expect((await s.api('GET', `metrics/${byAgent.body.id}/`)).status).toBe(404);
  });
});

describe('knowledge base files', () => {
  it('stores the text of .txt, .md and .pdf uploads, and lists them paginated', async () => {
    const p = (await s.api('POST', 'projects/', { name: 'Knowledge' })).body.id;
    const txt = await upload('faq.txt', kb('faq.txt'), { project: String(p) });
    expect(txt.status, JSON.stringify(txt.body)).toBe(201);
    expect(txt.body[0]).toMatchObject({
      file_name: 'faq.txt',
      file_type: 'text/plain',
      file_size: kb('faq.txt').length,
      text_length: kb('faq.txt').length,
      project: p,
      agent: null,
    });
    const md = await upload('policy.md', kb('policy.md'), { project: String(p) });
    expect(md.body[0].file_type).toBe('text/markdown');
    expect((await s.api('GET', `knowledge-base-files/${md.body[0].id}/`)).body.text).toBe(kb('policy.md').toString('utf8'));
    const pdf = await upload('policy.pdf', kb('policy.pdf'), { project: String(p) });
    expect(pdf.status, JSON.stringify(pdf.body)).toBe(201);
    expect(pdf.body[0]).toMatchObject({ file_type: 'application/pdf', file_size: kb('policy.pdf').length });
    expect((await s.api('GET', `knowledge-base-files/${pdf.body[0].id}/`)).body.text).toContain('Refund policy: 30 days');
    const list = await s.api('GET', `knowledge-base-files/?project_id=${p}`);
    expect(list.body).toMatchObject({ count: 3, next: null, previous: null });
    expect(list.body.results[0]).not.toHaveProperty('text');
    expect((await s.api('GET', 'knowledge-base-files/?agent_id=987654')).body.count).toBe(0);
  });

  it('attaches files to an agent, which lists them and whose project they take', async () => {
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Knows things' })).body.id;
    const f = await upload('notes.txt', 'Agent notes.', { agent: String(agent) });
    expect(f.body[0]).toMatchObject({ agent, project });
    expect((await s.api('GET', `aiagents/${agent}/`)).body.knowledge_base_files).toEqual([f.body[0].id]);
    expect((await s.api('GET', `knowledge-base-files/?agent_id=${agent}`)).body.results.map((x: any) => x.id)).toEqual([f.body[0].id]);
    const renamed = await s.api('PATCH', `knowledge-base-files/${f.body[0].id}/`, { file_name: 'agent-notes.txt' });
    expect(renamed.body).toMatchObject({ file_name: 'agent-notes.txt', agent });
    expect((await s.api('PATCH', `knowledge-base-files/${f.body[0].id}/`, { file_name: 'agent-notes.pdf' })).body).toHaveProperty('file_name');
    expect((await s.api('PATCH', `knowledge-base-files/${f.body[0].id}/`, { agent: null })).body).toMatchObject({ agent: null, project });
    expect((await s.api('DELETE', `knowledge-base-files/${f.body[0].id}/`)).status).toBe(204);
    expect((await s.api('GET', `knowledge-base-files/${f.body[0].id}/`)).status).toBe(404);
  });

  it('accepts JSON with raw base64 or a data: URI', async () => {
    const res = await s.api('POST', 'knowledge-base-files/', {
      project,
      files: [
        { name: 'notes.md', content_base64: Buffer.from('Hello').toString('base64') },
        { name: 'policy.pdf', content_base64: `data:application/pdf;base64,${kb('policy.pdf').toString('base64')}` },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.map((f: any) => f.file_type)).toEqual(['text/markdown', 'application/pdf']);
    expect((await s.api('GET', `knowledge-base-files/${res.body[0].id}/`)).body.text).toBe('Hello');
    expect((await s.api('GET', `knowledge-base-files/${res.body[1].id}/`)).body.text).toContain('Refund policy: 30 days');
  });

  it('rejects unsupported types, unreadable files, oversized files and missing owners without storing anything', async () => {
    const before = (await s.api('GET', 'knowledge-base-files/')).body.count;
    expect((await upload('virus.exe', 'MZ', { project: String(project) })).body).toEqual({
      file: ['Unsupported file type ".exe"; use .txt, .md, .json, .csv, .xml or .pdf.'],
    });
    expect((await upload('broken.pdf', 'not a pdf', { project: String(project) })).body).toEqual({ file: [expect.any(String)] });
    expect((await upload('binary.txt', Buffer.from([0x66, 0x00, 0xff]), { project: String(project) })).body).toEqual({ file: [expect.any(String)] });
    const big = await upload('big.txt', 'x'.repeat(UPLOAD_LIMIT + 1), { project: String(project) });
    expect(big).toMatchObject({ status: 413, body: { detail: expect.any(String) } });
    const bigJson = await s.api('POST', 'knowledge-base-files/', {
      project,
      files: [{ name: 'big.txt', content_base64: Buffer.from('x'.repeat(UPLOAD_LIMIT + 1)).toString('base64') }],
    });
    expect(bigJson.status).toBe(413);
    expect((await upload('a.txt', 'x', {})).body).toEqual({ non_field_errors: ['Either agent or project is required.'] });
    expect((await upload('a.txt', 'x', { project: 'abc' })).body).toHaveProperty('project');
    expect((await upload('a.txt', 'x', { project: '987654' })).body).toEqual({ project: ['Invalid pk "987654" - object does not exist.'] });
    expect((await upload('a.txt', 'x', { project: String(project), colour: 'red' })).body).toHaveProperty('colour');
    expect((await s.api('POST', 'knowledge-base-files/', { project, files: [{ name: 'a.txt', content_base64: '***' }] })).body).toHaveProperty('files');
    expect((await s.api('POST', 'knowledge-base-files/', { project, files: [] })).body).toHaveProperty('files');
    // One bad file in a batch stores none of them.
    const mixed = await s.api('POST', 'knowledge-base-files/', {
      project,
      files: [
        { name: 'ok.txt', content_base64: Buffer.from('fine').toString('base64') },
        { name: 'bad.doc', content_base64: Buffer.from('nope').toString('base64') },
      ],
    });
    expect(mixed.body).toHaveProperty('file');
    expect((await s.api('GET', 'knowledge-base-files/')).body.count).toBe(before);
  });

  it('answers 400, never 500, to malformed multipart bodies', async () => {
    const before = (await s.api('GET', 'knowledge-base-files/')).body.count;
    const two = new FormData();
    two.set('project', String(project));
    two.append('file', new Blob(['a']), 'a.txt');
    two.append('file', new Blob(['b']), 'b.txt');
    expect((await s.api('POST', 'knowledge-base-files/', two)).body).toHaveProperty('file');
    const wrongName = new FormData();
    wrongName.set('project', String(project));
    wrongName.set('document', new Blob(['a']), 'a.txt');
    expect((await s.api('POST', 'knowledge-base-files/', wrongName)).body).toHaveProperty('document');
    const noFile = new FormData();
    noFile.set('project', String(project));
    expect((await s.api('POST', 'knowledge-base-files/', noFile)).body).toEqual({ file: ['No file was submitted.'] });
    const junk = await s.api('POST', 'knowledge-base-files/', '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated', {
      'content-type': 'multipart/form-data; boundary=x',
    });
    expect(junk.status).toBeGreaterThanOrEqual(400);
    expect(junk.status).toBeLessThan(500);
    expect((await s.api('POST', 'knowledge-base-files/', 'plain', { 'content-type': 'text/plain' })).status).toBeLessThan(500);
    expect((await s.api('GET', 'knowledge-base-files/')).body.count).toBe(before);
  });

  it('gives the scenario agent the texts of the organization’s files only', async () => {
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Reader' })).body.id;
    const f = (await upload('context.md', '# Context', { agent: String(agent) })).body[0].id;
    const other = await s.otherOrganization();
    const foreign = (await upload('theirs.txt', 'secret', { project: String(other.projectId) }, other.api)).body[0].id;
    const db = s.running.store.db;
    const kb = async (opts: Parameters<typeof loadProjectFacts>[3]) => (await loadProjectFacts(db, org, project, opts)).knowledgeBase;
    expect(await kb({ knowledgeBaseIds: [foreign, f, f] })).toEqual([{ id: f, file_name: 'context.md', text: '# Context', agent_id: agent }]);
    expect(await kb({ agentId: agent })).toEqual([{ id: f, file_name: 'context.md', text: '# Context', agent_id: agent }]);
    // The knowledge of the agents an improve job's scenarios test, and of no agent outside the project.
    expect(await kb({ knowledgeOfAgents: [agent, 999_999] })).toEqual([{ id: f, file_name: 'context.md', text: '# Context', agent_id: agent }]);
    expect(await kb({ knowledgeBaseIds: [] })).toEqual([]);
  });
});

describe('tools', () => {
  it('lists predefined tools first, then our own, paginated and searchable', async () => {
    const list = await s.api('GET', 'tools/');
    expect(list.body).toMatchObject({ next: null, previous: null });
    expect(list.body.results.slice(0, 5).map((t: any) => t.tool_id)).toEqual([
      'TOOL_END_CALL',
      'TOOL_END_CALL_ONLY_ON_TRANSFER',
      'TOOL_DTMF',
      'TOOL_TRANSFER_CALL',
      'TOOL_HOLD',
    ]);
    expect(list.body.results.every((t: any) => t.is_predefined)).toBe(true);
    const mine = await s.api('POST', 'tools/', { id: 'TOOL_LOOKUP_ORDER', name: 'Lookup order', description: 'Finds an order by number.' });
    expect(mine.status).toBe(201);
    // The reference types a tool's id as an integer; the id scenarios name is tool_id.
    expect(mine.body).toEqual({
      id: expect.any(Number),
      tool_id: 'TOOL_LOOKUP_ORDER',
      name: 'Lookup order',
      description: 'Finds an order by number.',
      project: null,
      is_predefined: false,
    });
    expect((await s.api('GET', `tools/${mine.body.id}/`)).body.tool_id).toBe('TOOL_LOOKUP_ORDER');
    expect((await s.api('POST', 'tools/', { tool_id: 'TOOL_BY_NEW_NAME', name: 'Named as tool_id' })).body.tool_id).toBe('TOOL_BY_NEW_NAME');
    const after = await s.api('GET', 'tools/?page_size=5');
    expect(after.body.count).toBe(7);
    expect(after.body.next).toMatch(/page=2/);
    expect((await s.api('GET', 'tools/?page_size=5&page=2')).body.results.map((t: any) => t.tool_id)).toEqual(['TOOL_LOOKUP_ORDER', 'TOOL_BY_NEW_NAME']);
    expect((await s.api('GET', 'tools/?search=lookup')).body.results.map((t: any) => t.tool_id)).toEqual(['TOOL_LOOKUP_ORDER']);
    expect((await s.api('GET', 'tools/?project_id=987654')).body.count).toBe(0);
  });

  it('scopes own tools to a project, and scenarios may name them', async () => {
    const other = (await s.api('POST', 'projects/', { name: 'Tools elsewhere' })).body.id;
    await s.api('POST', 'tools/', { id: 'TOOL_ONLY_THERE', name: 'Only there', project: other });
    const agent = (await s.api('POST', 'aiagents/', { project: other, agent_name: 'Tool bot' })).body.id;
    expect((await s.api('GET', `tools/?project_id=${other}`)).body.results.map((t: any) => t.tool_id)).toContain('TOOL_ONLY_THERE');
    expect((await s.api('GET', `tools/?agent_id=${agent}`)).body.results.map((t: any) => t.tool_id)).toContain('TOOL_ONLY_THERE');
    expect((await s.api('GET', `tools/?project_id=${project}`)).body.results.map((t: any) => t.tool_id)).not.toContain('TOOL_ONLY_THERE');
    const ids = await allowedToolIds(s.running.store.db, org);
    expect(ids.has('TOOL_DTMF') && ids.has('TOOL_ONLY_THERE')).toBe(true);
  });

  it('retrieves, updates and deletes own tools by their id; predefined ones are read-only', async () => {
    await s.api('POST', 'tools/', { id: 'TOOL_REFUND', name: 'Refund' });
    expect((await s.api('GET', 'tools/TOOL_REFUND/')).body.name).toBe('Refund');
    const dtmf = (await s.api('GET', 'tools/TOOL_DTMF/')).body;
    expect(dtmf).toMatchObject({ tool_id: 'TOOL_DTMF', is_predefined: true });
    // A predefined tool's integer id is fixed, and names it as TOOL_DTMF does.
    expect((await s.api('GET', `tools/${dtmf.id}/`)).body).toEqual(dtmf);
    const read = (await s.api('GET', 'tools/TOOL_REFUND/')).body;
    // What a GET answered goes back in a PUT: the integer id is the read-only one.
    expect((await s.api('PUT', `tools/${read.id}/`, { ...read, name: 'Refund' })).body).toEqual(read);
    expect((await s.api('PATCH', 'tools/TOOL_REFUND/', { description: 'Issues a refund.' })).body.description).toBe('Issues a refund.');
    expect((await s.api('PUT', 'tools/TOOL_REFUND/', { id: 'TOOL_REFUND', name: 'Refund money' })).body.name).toBe('Refund money');
    expect((await s.api('PATCH', 'tools/TOOL_REFUND/', { id: 'TOOL_OTHER' })).body).toHaveProperty('id');
    expect((await s.api('PATCH', 'tools/TOOL_DTMF/', { name: 'x' })).body).toEqual({ non_field_errors: ['Predefined tools cannot be changed or deleted.'] });
    expect((await s.api('DELETE', 'tools/TOOL_DTMF/')).status).toBe(400);
    expect((await s.api('GET', 'tools/TOOL_NOPE/')).status).toBe(404);
    const sc = await s.api('POST', 'scenarios/', { name: 'Refunds', project, personality: await personalityId(), tool_ids: ['TOOL_REFUND', 'TOOL_DTMF'] });
    expect(sc.status).toBe(201);
    expect((await s.api('DELETE', 'tools/TOOL_REFUND/')).body.non_field_errors[0]).toContain('1 scenario uses');
    await s.api('DELETE', `scenarios/${sc.body.id}/`);
    expect((await s.api('DELETE', 'tools/TOOL_REFUND/')).status).toBe(204);
    expect((await s.api('GET', 'tools/TOOL_REFUND/')).status).toBe(404);
  });

  it('rejects bad, duplicate and predefined ids', async () => {
    await s.api('POST', 'tools/', { id: 'TOOL_TWICE', name: 'Once' });
    expect((await s.api('POST', 'tools/', { id: 'TOOL_TWICE', name: 'Again' })).body).toEqual({ id: ['A tool with id "TOOL_TWICE" already exists.'] });
    expect((await s.api('POST', 'tools/', { id: 'TOOL_DTMF', name: 'Mine' })).body).toHaveProperty('id');
    for (const id of ['bad id', 'tool_lower', 'T', '1TOOL', 'X'.repeat(65)]) {
      expect((await s.api('POST', 'tools/', { id, name: 'x' })).body, id).toHaveProperty('id');
    }
    expect((await s.api('POST', 'tools/', { id: 'TOOL_NO_PROJECT', name: 'x', project: 987654 })).body).toEqual({
      project: ['Invalid pk "987654" - object does not exist.'],
    });
  });
});

describe('isolation', () => {
  it('another organization sees none of ours, cannot touch it, and cannot attach to our project or agent', async () => {
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Private bot' })).body.id;
    const personality = (await s.api('POST', 'personalities/', { name: 'Private persona', project })).body.id;
    const profile = (await s.api('POST', 'test-profiles/', { agent, name: 'Private profile' })).body.id;
    const metric = (await s.api('POST', 'metrics/', { agent, name: 'Private metric' })).body.id;
    const file = (await upload('private.txt', 'private', { agent: String(agent) })).body[0].id;
    await s.api('POST', 'tools/', { id: 'TOOL_PRIVATE', name: 'Private' });
    const other = await s.otherOrganization();
    for (const [resource, id] of [
      ['aiagents', agent],
      ['personalities', personality],
      ['test-profiles', profile],
      ['metrics', metric],
      ['knowledge-base-files', file],
      ['tools', 'TOOL_PRIVATE'],
    ] as const) {
      expect((await other.api('GET', `${resource}/${id}/`)).status, resource).toBe(404);
      expect((await other.api('PATCH', `${resource}/${id}/`, {})).status, resource).toBe(404);
      expect((await other.api('DELETE', `${resource}/${id}/`)).status, resource).toBe(404);
    }
    expect((await other.api('GET', 'aiagents/')).body.count).toBe(0);
    expect((await other.api('GET', 'knowledge-base-files/')).body.count).toBe(0);
    expect((await other.api('GET', 'test-profiles/')).body).toEqual([]);
    expect((await other.api('GET', 'metrics/')).body).toEqual([]);
    expect((await other.api('GET', 'personalities/')).body.every((p: any) => p.is_predefined)).toBe(true);
    expect((await other.api('GET', 'tools/')).body.results.every((t: any) => t.is_predefined)).toBe(true);
    expect((await other.api('POST', 'tools/', { id: 'TOOL_PRIVATE', name: 'Theirs' })).status).toBe(201);
    expect((await other.api('POST', 'metrics/', { agent, name: 'x' })).body).toEqual({ agent: [`Invalid pk "${agent}" - object does not exist.`] });
    expect((await other.api('POST', 'aiagents/', { project, agent_name: 'x' })).body).toEqual({
      project: [`Invalid pk "${project}" - object does not exist.`],
    });
    expect((await upload('x.txt', 'x', { agent: String(agent) }, other.api)).status).toBe(400);
    expect((await s.api('GET', `aiagents/${agent}/`)).body.agent_name).toBe('Private bot');
  });
});

describe('knowledge-base rules', () => {
  it('decodes raw, URL-safe and data: URI base64, and refuses anything else', () => {
    expect(decodeBase64Content(Buffer.from('Hi!').toString('base64'))?.toString()).toBe('Hi!');
    expect(decodeBase64Content('data:text/plain;base64,SGk=')?.toString()).toBe('Hi');
    expect(decodeBase64Content('SGk_')).toBeInstanceOf(Buffer);
    expect(decodeBase64Content('SGk=\nSGk=')).toBeUndefined();
    expect(decodeBase64Content('not base64!')).toBeUndefined();
    expect(decodeBase64Content('A')).toBeUndefined();
  });

  it('takes the type from the extension, case-insensitively', async () => {
    expect(extensionOf('Policy.PDF')).toBe('.pdf');
    expect(extensionOf('README')).toBe('');
    expect(extensionOf('dir.v2/file')).toBe('');
    expect((await extractText('NOTES.MD', Buffer.from('# x'), 100)).mime).toBe('text/markdown');
    await expect(extractText('README', Buffer.from('x'), 100)).rejects.toBeInstanceOf(ValidationError);
    await expect(extractText('a.txt', Buffer.from('\ufeffBOM'), 100)).resolves.toMatchObject({ text: 'BOM' });
  });
});
