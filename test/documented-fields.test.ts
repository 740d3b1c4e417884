import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Fields the reference documents that Scenarist keeps without acting on them: written, stored,
 * answered on read as sent; secrets never stored; a field nobody documents still a 400 naming it.
 */

let s: TestServer;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
beforeAll(async () => {
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer(pgDb ? { DATABASE_URL: pgDb.url } : {});
});
afterAll(async () => {
  await s?.stop();
  await pgDb?.drop();
});

describe('documented fields without behaviour', () => {
  it('an agent keeps its provider settings; a provider key is never stored, only that one was given', async () => {
    const created = await s.api('POST', 'aiagents/', {
      project: s.defaultProjectId,
      agent_name: 'Front desk',
      assistant_provider: 'vapi',
      contact_number: '+15550100',
      llm_temperature: 0.4,
      vapi_api_key: 'sk-very-secret',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const read = (await s.api('GET', `aiagents/${created.body.id}/`)).body;
    expect(read).toMatchObject({
      assistant_provider: 'vapi',
      contact_number: '+15550100',
      llm_temperature: 0.4,
      vapi_api_key_configured: true,
      llm_model: 'gpt-4o',
    });
    expect(read).not.toHaveProperty('vapi_api_key');
    const row = await s.running.store.db.selectFrom('aiagents').select('documented').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.documented).not.toContain('sk-very-secret');
    // A later write changes only what it names.
    const patched = (await s.api('PATCH', `aiagents/${created.body.id}/`, { contact_number: '+15550199' })).body;
    expect(patched).toMatchObject({ assistant_provider: 'vapi', contact_number: '+15550199' });
  });

  it('a v2 agent is the same agent under the v2 names, its files as objects', async () => {
    const made = await s.api('POST', '/test_framework/v2/aiagents/', {
      name: 'Night desk',
      description: 'Takes bookings at night.',
      project: s.defaultProjectId,
      telephony: { phone_number: '+15550123', inbound: false },
      provider: { type: 'retell', agent_id: 'agent_42', credentials: { api_key: 'sk-x' } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ name: 'Night desk', agent_name: 'Night desk', inbound: false, assistant_id: 'agent_42', contact_number: '+15550123' });
    expect(made.body.provider).toMatchObject({ type: 'retell', agent_id: 'agent_42', credentials: null });
    expect(made.body.telephony).toMatchObject({ phone_number: '+15550123', inbound: false });
    const upload = await s.api('POST', `aiagents/${made.body.id}/upload_knowledge_base/`, {
      files: [{ name: 'faq.txt', content_base64: Buffer.from('Open at 9.').toString('base64') }],
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(201);
    expect((await s.api('GET', `/test_framework/v2/aiagents/${made.body.id}/`)).body.knowledge_base_files[0]).toMatchObject({
      file_name: 'faq.txt',
      agent: made.body.id,
    });
    expect((await s.api('GET', `aiagents/${made.body.id}/`)).body.knowledge_base_files).toEqual([upload.body.results[0].id]);
  });

  it('personalities, metrics and projects keep theirs', async () => {
    const p = await s.api('POST', 'personalities/', { name: 'Noisy caller', project: s.defaultProjectId, background_noise: 'cafe', voice_model: 'sonic-2' });
    expect((await s.api('GET', `personalities/${p.body.id}/`)).body).toMatchObject({
      background_noise: 'cafe',
      voice_model: 'sonic-2',
      end_call_enabled: true,
    });
    const m = await s.api('POST', 'metrics/', {
      name: 'Greets',
      project: s.defaultProjectId,
      type: 'llm_judge',
      eval_type: 'enum',
      enum_values: ['yes', 'no'],
    });
    expect(m.status, JSON.stringify(m.body)).toBe(201);
    await s.api('PATCH', `metrics/${m.body.id}/`, { is_critical: true });
    expect((await s.api('GET', `metrics/${m.body.id}/`)).body).toMatchObject({
      eval_type: 'enum',
      enum_values: ['yes', 'no'],
      is_critical: true,
      alert_type: 'disabled',
    });
    const pr = await s.api('PATCH', `projects/${s.defaultProjectId}/`, {
      timezone: 'Europe/Paris',
      webhook_url: 'https://example.com/hook',
      webhook_secret: 'whsec',
    });
    expect(pr.body).toMatchObject({ timezone: 'Europe/Paris', webhook_url: 'https://example.com/hook', webhook_secret_configured: true });
    expect(pr.body.organization).toMatchObject({ id: expect.any(Number), name: expect.any(String) });
  });

  it("a session's scenario_ids are written by PUT and PATCH; what a GET answered goes back as it is", async () => {
    const personality = (await s.api('GET', 'personalities/')).body[0].id;
    const sc = (await s.api('POST', 'scenarios/', { name: 'In a session', project: s.defaultProjectId, personality })).body.id;
    const session = (await s.api('POST', 'scenario-improvement-sessions/', { project: s.defaultProjectId, title: 'Kept' })).body;
    const put = await s.api('PUT', `scenario-improvement-sessions/${session.id}/`, { ...session, scenario_ids: [sc] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.scenario_ids).toEqual([sc]);
    const read = (await s.api('GET', `scenario-improvement-sessions/${session.id}/`)).body;
    expect((await s.api('PUT', `scenario-improvement-sessions/${session.id}/`, read)).body).toMatchObject({ scenario_ids: [sc], title: 'Kept' });
    expect((await s.api('PATCH', `scenario-improvement-sessions/${session.id}/`, { scenario_ids: [999_999] })).body).toEqual({
      scenario_ids: ['Invalid pk "999999" - object does not exist.'],
    });
  });

  it('a field nobody documents, or a documented one of the wrong type, is a 400 naming it', async () => {
    const res = await s.api('POST', 'personalities/', { name: 'X', hair_colour: 'red', background_noise: 3 });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['background_noise', 'hair_colour']);
    expect((await s.api('PATCH', `metrics/999999/`, { eval_type: 'sometimes' })).status).toBe(400);
  });
});
