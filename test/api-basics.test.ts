import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

describe('authentication', () => {
  it('health answers without a key', async () => {
    const res = await s.as(null)('GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('a request without a key is 401 with a detail', async () => {
    const res = await s.as(null)('GET', 'projects/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: expect.any(String) });
  });

  it('an unknown key is 401', async () => {
    expect((await s.as('sk_scn_nope')('GET', 'projects/')).status).toBe(401);
  });

  it('Authorization: Bearer works like X-CEKURA-API-KEY', async () => {
    const res = await s.as(null)('GET', 'projects/', undefined, { authorization: `Bearer ${s.key}` });
    expect(res.status).toBe(200);
    expect(res.body.map((p: { name: string }) => p.name)).toEqual(['Default']);
  });
});

describe('projects', () => {
  it('creates, reads, updates and deletes a project', async () => {
    const created = await s.api('POST', 'projects/', { name: 'Support line', max_call_duration: 300 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Support line', max_call_duration: 300 });
    const id = created.body.id;
    expect((await s.api('GET', `projects/${id}/`)).body.name).toBe('Support line');
    expect((await s.api('PATCH', `projects/${id}/`, { name: 'Renamed' })).body.name).toBe('Renamed');
    expect((await s.api('DELETE', `projects/${id}/`)).status).toBe(200);
    expect((await s.api('GET', `projects/${id}/`)).status).toBe(404);
  });

  it('rejects a bad project with field errors and writes nothing', async () => {
    const res = await s.api('POST', 'projects/', { name: '', max_call_duration: 5, extra: true });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['extra', 'max_call_duration', 'name']);
    expect((await s.api('GET', 'projects/')).body).toHaveLength(1);
  });

  it("another organization's project answers 404", async () => {
    const other = await s.otherOrganization();
    const res = await other.api('GET', `projects/${s.defaultProjectId}/`);
    expect(res).toMatchObject({ status: 404, body: { detail: expect.any(String) } });
    expect((await other.api('PATCH', `projects/${s.defaultProjectId}/`, { name: 'x' })).status).toBe(404);
    expect((await other.api('DELETE', `projects/${s.defaultProjectId}/`)).status).toBe(404);
    expect((await other.api('GET', 'projects/')).body.map((p: { id: number }) => p.id)).toEqual([other.projectId]);
  });

  it('malformed JSON is a 400 with a detail, a non-integer id a 404', async () => {
    expect((await s.api('POST', 'projects/', '{oops', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await s.api('GET', 'projects/abc/')).status).toBe(404);
  });
});
