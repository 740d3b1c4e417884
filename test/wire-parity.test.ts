import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createScenario, personalityId } from './helpers/agent.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Requests as the reference's clients send them: its paths and aliases, its body encodings and habits. */

let s: TestServer;
let agent: number;
let personality: number;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
beforeAll(async () => {
  // With SCENARIST_TEST_PG=1 the folder, copy, tag and generation SQL runs on PostgreSQL too.
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer(pgDb ? { DATABASE_URL: pgDb.url } : {});
  agent = await createAgent(s.api, s.defaultProjectId);
  personality = await personalityId(s.api);
});
afterAll(async () => {
  await s?.stop();
  await pgDb?.drop();
});

const raw = (method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) =>
  fetch(s.url + path, { method, body, headers: { 'X-CEKURA-API-KEY': s.key, ...headers } });

describe('request forms', () => {
  it('creates a scenario from a form-urlencoded body, repeated keys making a list', async () => {
    const form = new URLSearchParams({ name: 'Form made', agent: String(agent), personality: String(personality), instructions: 'Ask about fees.' });
    form.append('tags', 'a');
    form.append('tags', 'b');
    const res = await raw('POST', '/test_framework/v1/scenarios/', form.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ name: 'Form made', agent, personality, tags: ['a', 'b'] });
  });

  it('updates a scenario from a multipart body', async () => {
    const sc = await createScenario(s.api, { name: 'Multipart', agent, personality });
    const form = new FormData();
    form.append('max_duration', '120');
    form.append('name', 'Multipart renamed');
    const res = await raw('PATCH', `/test_framework/v1/scenarios/${sc.id}/`, form);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'Multipart renamed', max_duration: 120 });
  });

  it('accepts Content-Type: application/json with an empty body on DELETE and GET', async () => {
    const sc = await createScenario(s.api, { name: 'Doomed', agent, personality });
    expect((await raw('GET', `/test_framework/v1/scenarios/${sc.id}/`, undefined, { 'content-type': 'application/json' })).status).toBe(200);
    expect((await raw('DELETE', `/test_framework/v1/scenarios/${sc.id}/`, undefined, { 'content-type': 'application/json' })).status).toBe(204);
    expect((await s.api('GET', `scenarios/${sc.id}/`)).status).toBe(404);
  });

  it('takes back what a GET answered in a PUT, read-only fields ignored, and still names an undocumented field', async () => {
    const sc = await createScenario(s.api, { name: 'Round trip', agent, personality });
    const got = (await s.api('GET', `scenarios/${sc.id}/`)).body;
    const put = await s.api('PUT', `scenarios/${sc.id}/`, { ...got, name: 'Round trip 2' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.name).toBe('Round trip 2');
    const bad = await s.api('PUT', `scenarios/${sc.id}/`, { ...got, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ colour: ['Unknown field "colour".'] });
  });
});

describe('paths and aliases', () => {
  it('serves the same scenario at scenarios-external and v2', async () => {
    const sc = await createScenario(s.api, { name: 'Aliased', agent, personality });
    for (const prefix of ['/test_framework/v1/scenarios-external/', '/test_framework/v2/scenarios/']) {
      const res = await raw('GET', `${prefix}${sc.id}/`);
      expect(res.status).toBe(200);
      expect((await res.json()).name).toBe('Aliased');
    }
  });

  it('serves projects at /user/v1/projects/ and projects-external/', async () => {
    const made = await s.api('POST', '/user/v1/projects-external/', { name: 'External' });
    expect(made.status).toBe(201);
    const listed = await s.api('GET', '/user/v1/projects/');
    expect(listed.body.map((p: { name: string }) => p.name)).toContain('External');
    // As the reference answers a project's delete (its other deletes answer 204): 200, no body.
    const gone = await raw('DELETE', `/user/v1/projects-external/${made.body.id}/`, undefined, { 'content-type': 'application/json' });
    expect(gone.status).toBe(200);
    expect(await gone.text()).toBe('');
    expect((await s.api('GET', `/user/v1/projects/${made.body.id}/`)).status).toBe(404);
  });

  it("documents the reference's operationIds, a license and a server", async () => {
    const doc = (await s.as(null)('GET', '/openapi.json')).body;
    expect(doc.info.license.name).toBe('Apache-2.0');
    expect(doc.servers.length).toBeGreaterThan(0);
    expect(doc.paths['/test_framework/v1/scenarios/scenario-agent/'].post.operationId).toBe('scenarios-refine_2');
    expect(doc.paths['/test_framework/v2/aiagents/'].get.operationId).toBe('aiagents-list');
    const ids = Object.values<any>(doc.paths).flatMap((item) => Object.values<any>(item).map((op) => op.operationId));
    expect(ids.every(Boolean)).toBe(true);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});

describe('folders, copies, tags', () => {
  it('renames a folder and its scenarios follow; deleting it deletes them', async () => {
    const project_id = s.defaultProjectId;
    await s.api('POST', 'scenarios/create_folder/', { name: 'Sales', project_id });
    await s.api('POST', 'scenarios/create_folder/', { name: 'Inbound', parent_path: 'Sales', project_id });
    const sc = await createScenario(s.api, { name: 'Filed', agent, personality, folder_path: 'Sales.Inbound' });
    const renamed = await s.api('POST', 'scenarios/rename_folder/', { path: 'Sales', project_id, name: 'Revenue' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.path).toBe('Revenue');
    expect((await s.api('GET', `scenarios/${sc.id}/`)).body.folder_path).toBe('Revenue.Inbound');
    expect((await s.api('POST', 'scenarios/delete_folder/', { path: 'Revenue', project_id })).status).toBe(204);
    expect((await s.api('GET', `scenarios/${sc.id}/`)).status).toBe(404);
  });

  it('duplicates scenarios as "Copy of …" into a folder it creates, and tags in bulk', async () => {
    const sc = await createScenario(s.api, { name: 'Original', agent, personality, tags: ['x'] });
    const res = await s.api('POST', 'scenarios/duplicate/', {
      project: s.defaultProjectId,
      copy_to_project: s.defaultProjectId,
      scenarios: [sc.id],
      folder_path: 'Copies',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.results[0]).toMatchObject({ name: 'Copy of Original', folder_path: 'Copies', agent });
    const tagged = await s.api('POST', 'scenarios/add_tags/', { scenarios: [sc.id], tags: ['vip'] });
    expect(tagged.body).toMatchObject({ updated_count: 1, tags_added: ['vip'], scenario_ids: [sc.id], id: sc.id, tags: ['x', 'vip'], count: 1 });
    const again = await s.api('POST', 'scenarios/add_tags/', { scenarios: [sc.id], tags: ['vip'] });
    expect(again.body).toMatchObject({ updated_count: 0, id: sc.id, tags: ['x', 'vip'] });
    expect((await s.api('GET', `scenarios/${sc.id}/`)).body.tags).toEqual(['x', 'vip']);
    expect((await s.api('GET', `scenarios/tags/?project_id=${s.defaultProjectId}`)).body.tags).toContain('vip');
  });
});

describe('background generation', () => {
  it('generate-bg creates the scenarios and generate-progress lists them', async () => {
    const start = await s.api('POST', 'scenarios/generate-bg/', {
      agent_id: agent,
      num_scenarios: 2,
      extra_instructions: 'Callers disputing a late fee on their bill.',
      tags: ['generated'],
    });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    let p: any;
    for (let i = 0; i < 300; i++) {
      p = (await s.api('GET', `scenarios/generate-progress/?progress_id=${start.body.progress_id}`)).body;
      if (p.status !== 'in_progress') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(p.current_step).toBeTypeOf('string');
    if (p.status === 'pending_clarification') {
      expect(p.questions.length).toBeGreaterThan(0);
      return;
    }
    expect(p).toMatchObject({ status: 'completed', total_scenarios: 2 });
    expect(p.completed_scenarios).toBe(p.scenarios_list.length);
    for (const item of p.scenarios_list) {
      const stored = await s.api('GET', `scenarios/${item.id}/`);
      expect(stored.status).toBe(200);
      expect(stored.body.tags).toContain('generated');
    }
  });
});
