import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Fields the reference documents that Scenarist keeps without acting on them: written, stored,
 * answered on read as sent; secrets never stored; a field nobody documents still a 400 naming it.
 */

let s: TestServer;
const b64 = (text: string) => Buffer.from(text).toString('base64');
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

  it('a v2 agent write carries its knowledge base inline, as JSON or multipart files: the whole set, kept, replaced, or refused whole', async () => {
    const v2 = '/test_framework/v2/aiagents/';
    const agentCount = async () =>
      Number(
        (
          await s.running.store.db
            .selectFrom('aiagents')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const made = await s.api('POST', v2, {
      name: 'Fees desk',
      description: 'Explains fees.',
      project: s.defaultProjectId,
      inbound: true,
      knowledge_base_files: [
        { file_name: 'fees.md', content_base64: b64('# Late fees\nA late fee is 5 EUR.') },
        { name: 'prices.csv', content_base64: `data:text/csv;base64,${b64('plan,price\ngold,30\n')}` },
      ],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.knowledge_base_files.map((f: any) => [f.file_name, f.file_type, f.agent])).toEqual([
      ['fees.md', 'text/markdown', made.body.id],
      ['prices.csv', 'text/csv', made.body.id],
    ]);
    const [fees, prices] = made.body.knowledge_base_files;
    expect((await s.api('GET', `knowledge-base-files/${fees.id}/`)).body.text).toBe('# Late fees\nA late fee is 5 EUR.');

    // What a v2 read answered, sent back: the same files.
    const read = (await s.api('GET', `${v2}${made.body.id}/`)).body;
    const same = await s.api('PATCH', `${v2}${made.body.id}/`, { knowledge_base_files: read.knowledge_base_files });
    expect(same.body.knowledge_base_files.map((f: any) => f.id)).toEqual([fees.id, prices.id]);
    // One kept by id, one new, the one left out deleted.
    const swapped = await s.api('PATCH', `${v2}${made.body.id}/`, {
      knowledge_base_files: [{ id: prices.id }, { file_name: 'roaming.txt', content_base64: b64('Roaming is 2 EUR a day.') }],
    });
    expect(swapped.status, JSON.stringify(swapped.body)).toBe(200);
    expect(swapped.body.knowledge_base_files.map((f: any) => f.file_name)).toEqual(['prices.csv', 'roaming.txt']);
    expect((await s.api('GET', `knowledge-base-files/${fees.id}/`)).status).toBe(404);
    // v1 documents the field read-only: a v1 write leaves the files as they are.
    expect((await s.api('PATCH', `aiagents/${made.body.id}/`, { knowledge_base_files: [] })).body.knowledge_base_files).toHaveLength(2);

    // Multipart: the files as file parts of the field, the other fields as text.
    const form = new FormData();
    for (const [k, v] of Object.entries({ name: 'Form desk', description: 'From a form.', project: String(s.defaultProjectId), inbound: 'false' }))
      form.set(k, v);
    form.append('knowledge_base_files', new File(['Opening hours: 9 to 5.'], 'hours.txt', { type: 'text/plain' }));
    form.append('knowledge_base_files', new File(['{"refund_days": 30}'], 'policy.json', { type: 'application/json' }));
    const multipart = await s.api('POST', v2, form);
    expect(multipart.status, JSON.stringify(multipart.body)).toBe(201);
    expect(multipart.body).toMatchObject({ name: 'Form desk', inbound: false });
    expect(multipart.body.knowledge_base_files.map((f: any) => f.file_name)).toEqual(['hours.txt', 'policy.json']);

    // Anything wrong with one file refuses the whole write, naming the item; nothing is written.
    const before = await agentCount();
    for (const files of [
      [
        { file_name: 'ok.txt', content_base64: b64('fine') },
        { file_name: 'virus.exe', content_base64: b64('MZ') },
      ],
      [{ file_name: 'nothing.txt' }],
      [{ file_name: 'bad.txt', content_base64: '!!!' }],
      [{ file_name: 'x.txt', content_base64: b64('x'), colour: 'red' }],
    ]) {
      const res = await s.api('POST', v2, { name: 'Refused', description: 'x', project: s.defaultProjectId, knowledge_base_files: files });
      expect(res.status, JSON.stringify(files)).toBe(400);
      expect(Object.keys(res.body)).toEqual(['knowledge_base_files']);
    }
    expect(
      (await s.api('POST', v2, { name: 'Refused', description: 'x', project: s.defaultProjectId, knowledge_base_files: [{ id: prices.id }] })).status,
    ).toBe(400);
    expect(await agentCount()).toBe(before);
    const other = await s.api('PATCH', `${v2}${made.body.id}/`, { knowledge_base_files: [{ id: multipart.body.knowledge_base_files[0].id }] });
    expect(other.body).toEqual({ knowledge_base_files: [`Invalid pk "${multipart.body.knowledge_base_files[0].id}" - no file of this agent.`] });
    expect((await s.api('GET', `${v2}${made.body.id}/`)).body.knowledge_base_files.map((f: any) => f.file_name)).toEqual(['prices.csv', 'roaming.txt']);
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

  it("a session's conversation_history is written by PUT and PATCH, kept and answered on read; a round trip changes nothing", async () => {
    const personality = (await s.api('GET', 'personalities/')).body[0].id;
    const agent = (await s.api('POST', 'aiagents/', { project: s.defaultProjectId, agent_name: 'History desk' })).body.id;
    const sc = (await s.api('POST', 'scenarios/', { name: 'Talked about', agent, personality })).body.id;
    const started = (await s.api('POST', 'scenarios/scenario-agent/', { scenarios: [sc], user_message: 'Add the DTMF tool' })).body;
    let session = (await s.api('GET', `scenario-improvement-sessions/${started.session_id}/`)).body;
    for (let i = 0; i < 200 && session.conversation_history.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 25));
      session = (await s.api('GET', `scenario-improvement-sessions/${started.session_id}/`)).body;
    }
    const rows = () =>
      s.running.store.db.selectFrom('session_messages').select(['id', 'job_id', 'content']).where('session_id', '=', session.id).orderBy('id').execute();
    const before = await rows();
    expect(before.map((r) => r.job_id)).toEqual([expect.any(Number), expect.any(Number)]);

    // What a GET answered, sent back whole: the same turns, the same rows, still tied to their job.
    const put = await s.api('PUT', `scenario-improvement-sessions/${session.id}/`, session);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.conversation_history).toEqual(session.conversation_history);
    expect(await rows()).toEqual(before);

    // A turn added is only added; the time is as sent.
    const added = { role: 'user', content: 'Now make them angrier.', timestamp: '2026-01-05T10:00:00+01:00', tool_calls: [] };
    const patched = await s.api('PATCH', `scenario-improvement-sessions/${session.id}/`, {
      conversation_history: [...session.conversation_history, added],
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.message_count).toBe('3');
    expect(patched.body.conversation_history.at(-1)).toEqual({ ...added, timestamp: '2026-01-05T09:00:00.000Z' });
    expect((await rows()).slice(0, 2)).toEqual(before);

    // From the first turn that differs, the given conversation replaces the stored one.
    const replaced = [{ role: 'user', content: 'Start over: shorter calls.' }];
    expect((await s.api('PUT', `scenario-improvement-sessions/${session.id}/`, { conversation_history: replaced })).status).toBe(200);
    const read = (await s.api('GET', `scenario-improvement-sessions/${session.id}/`)).body;
    expect(read.conversation_history).toEqual([{ role: 'user', content: 'Start over: shorter calls.', timestamp: expect.any(String), tool_calls: [] }]);
    expect(read.message_count).toBe('1');

    for (const bad of [[{ role: 'system', content: 'x' }], [{ role: 'user' }], [{ role: 'user', content: 'x', timestamp: 'yesterday' }], 'hello']) {
      const res = await s.api('PATCH', `scenario-improvement-sessions/${session.id}/`, { conversation_history: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(Object.keys(res.body)).toEqual(['conversation_history']);
    }
    expect((await s.api('GET', `scenario-improvement-sessions/${session.id}/`)).body.conversation_history).toEqual(read.conversation_history);
  });

  it('a field nobody documents, or a documented one of the wrong type, is a 400 naming it', async () => {
    const res = await s.api('POST', 'personalities/', { name: 'X', hair_colour: 'red', background_noise: 3 });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body).sort()).toEqual(['background_noise', 'hair_colour']);
    expect((await s.api('PATCH', `metrics/999999/`, { eval_type: 'sometimes' })).status).toBe(400);
  });
});
