import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { resolvedAddressProblem, verifyWebhook, webhookUrlProblem } from '../src/domain/webhooks.js';
import { WebhookSender } from '../src/jobs/webhook-sender.js';
import { runWorker } from '../src/worker.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob } from './helpers/agent.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Webhooks as a receiver sees them: an API-only server beside a worker process that sends them,
 * a receiver that verifies every signature and fails its first attempts, and a worker restart
 * between the retries.
 */

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

const WEBHOOK_ENV = { SCENARIST_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', SCENARIST_WEBHOOK_RETRY_BASE_MS: '150', SCENARIST_WEBHOOK_POLL_MS: '25' };

let s: TestServer;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let receiver: http.Server;
let receiverUrl: string;
let secret = '';
let failures = 0;
const received: Received[] = [];
let worker: { stop(): Promise<void> } | null = null;
let agent: number;
let personality: number;
let webhookId: number;

const startWorker = async () => {
  worker = await runWorker(
    loadConfig({ SCENARIST_DATA_DIR: s.dataDir, SCENARIST_LOG_LEVEL: 'silent', ...WEBHOOK_ENV, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) }),
  );
};
const stopWorker = async () => {
  await worker?.stop();
  worker = null;
};
const until = async (what: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};
const ofEvent = (type: string) => received.filter((r) => JSON.parse(r.body).type === type);

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body, verified: verifyWebhook(secret, req.headers, body, Math.floor(Date.now() / 1000)) });
      res.statusCode = failures > 0 ? 500 : 204;
      if (failures > 0) failures--;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  // The API alone: it never sends a webhook itself.
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer({ ...WEBHOOK_ENV, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) }, { worker: false });
  agent = await insertAgent(s.running.store.db, s.defaultProjectId);
  personality = await personalityIdFromStore(s.running.store.db);
});
afterAll(async () => {
  await stopWorker();
  await s?.stop();
  await pgDb?.drop();
  receiver?.close();
});

describe('webhooks', () => {
  it('are a resource whose secret is shown once, with every bad input a 400', async () => {
    const res = await s.api('POST', 'webhooks/', {
      project: s.defaultProjectId,
      url: receiverUrl,
      events: ['job.completed', 'job.failed', 'job.needs_clarification', 'job.cancelled', 'changeset.applied', 'changeset.reverted'],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ url: receiverUrl, enabled: true, secret: expect.stringMatching(/^whsec_/) });
    secret = res.body.secret;
    webhookId = res.body.id;
    const read = await s.api('GET', `webhooks/${webhookId}/`);
    expect(read.body).not.toHaveProperty('secret');
    expect((await s.api('GET', `webhooks/?project_id=${s.defaultProjectId}`)).body).toHaveLength(1);

    for (const [body, field] of [
      [{ project: s.defaultProjectId, url: 'http://10.0.0.1/hook', events: ['job.completed'] }, 'url'],
      [{ project: s.defaultProjectId, url: 'ftp://127.0.0.1/hook', events: ['job.completed'] }, 'url'],
      [{ project: s.defaultProjectId, url: 'not a url', events: ['job.completed'] }, 'url'],
      [{ project: s.defaultProjectId, url: receiverUrl, events: ['job.exploded'] }, 'events'],
      [{ project: s.defaultProjectId, url: receiverUrl, events: [] }, 'events'],
      [{ project: 999_999, url: receiverUrl, events: ['job.completed'] }, 'project'],
    ] as const) {
      const bad = await s.api('POST', 'webhooks/', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body).toHaveProperty(field);
    }
    expect((await s.api('PATCH', `webhooks/${webhookId}/`, { url: 'http://192.168.1.1/' })).status).toBe(400);
    const other = await s.otherOrganization();
    expect((await other.api('GET', `webhooks/${webhookId}/`)).status).toBe(404);
    expect((await other.api('POST', 'webhooks/', { project: s.defaultProjectId, url: receiverUrl, events: ['job.completed'] })).status).toBe(400);
  });

  it('deliver job.completed signed, through a receiver failing its first attempts and a worker restart, with the progress JSON', async () => {
    const ids = [
      (await createScenario(s.api, { name: 'Refund', agent, personality })).id,
      (await createScenario(s.api, { name: 'Upgrade', agent, personality })).id,
    ];
    failures = 2;
    const { progress_id } = await startJob(s.api, { scenarios: ids, user_message: 'Add the DTMF tool' });
    // No worker yet: the job waits, and the API process sends nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(0);

    await startWorker();
    await until(() => received.length >= 1);
    await stopWorker();
    const afterFirst = received.length;
    await new Promise((r) => setTimeout(r, 400));
    // The worker is gone: nothing is sent until another starts, and the retry is still in the rows.
    expect(received.length).toBe(afterFirst);
    await startWorker();
    await until(() => ofEvent('job.completed').length === 3);

    const deliveries = ofEvent('job.completed');
    expect(deliveries.map((d) => d.verified)).toEqual([true, true, true]);
    expect(new Set(deliveries.map((d) => d.headers['webhook-id'])).size).toBe(1);
    const progress = (await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).body;
    const payload = JSON.parse(deliveries[2]!.body);
    expect(payload).toMatchObject({
      type: 'job.completed',
      timestamp: expect.any(String),
      data: { ...progress, project_id: s.defaultProjectId, kind: 'improve' },
    });

    const list = (await s.api('GET', `webhooks/${webhookId}/deliveries/`)).body.results;
    expect(list[0]).toMatchObject({
      event: 'job.completed',
      status: 'delivered',
      attempts: 3,
      last_status_code: 204,
      last_latency_ms: expect.any(Number),
      message_id: deliveries[0]!.headers['webhook-id'],
    });
  });

  it('deliver changeset.applied and changeset.reverted with the ids, and redeliver by hand', async () => {
    const sc = await createScenario(s.api, { name: 'Cancel', agent, personality });
    const applied = await s.api('POST', 'scenarios/adv_update/', { scenarios: [sc.id], project: s.defaultProjectId, max_duration: 90 });
    expect(applied.status).toBe(200);
    await until(() => ofEvent('changeset.applied').length === 1);
    const [cs] = (await s.api('GET', `changesets/?scenario_id=${sc.id}`)).body.results;
    expect(JSON.parse(ofEvent('changeset.applied')[0]!.body).data).toMatchObject({
      changeset_id: cs.id,
      kind: 'bulk_update',
      scenario_ids: [sc.id],
      fields: ['max_duration'],
      project_id: s.defaultProjectId,
    });
    await s.api('POST', `changesets/${cs.id}/revert/`);
    await until(() => ofEvent('changeset.reverted').length === 1);
    expect(JSON.parse(ofEvent('changeset.reverted')[0]!.body).data).toMatchObject({ kind: 'revert', reverts: cs.id, scenario_ids: [sc.id] });
    expect(ofEvent('changeset.reverted')[0]!.verified).toBe(true);

    const [latest] = (await s.api('GET', `webhooks/${webhookId}/deliveries/`)).body.results;
    const again = await s.api('POST', `webhooks/${webhookId}/deliveries/${latest.id}/redeliver/`);
    expect(again.body).toMatchObject({ status: 'pending' });
    await until(() => ofEvent('changeset.reverted').length === 2);
    expect(ofEvent('changeset.reverted')[1]!.headers['webhook-id']).toBe(latest.message_id);
    expect((await s.api('POST', `webhooks/${webhookId}/deliveries/999999/redeliver/`)).status).toBe(404);
  });

  it('deliver job.cancelled for a cancel made on the API-only server', async () => {
    await stopWorker();
    const sc = await createScenario(s.api, { name: 'Outage', agent, personality });
    const { progress_id } = await startJob(s.api, { scenarios: [sc.id], user_message: 'Add a tag' });
    expect((await s.api('POST', 'scenarios/cancel-agent/', { progress_id })).body).toMatchObject({ success: true });
    await startWorker();
    await until(() => ofEvent('job.cancelled').length === 1);
    expect(JSON.parse(ofEvent('job.cancelled')[0]!.body).data).toMatchObject({ progress_id, status: 'cancelled' });
  });

  it("an instructions job and a generation carry their own kind's progress answer", async () => {
    const sc = await createScenario(s.api, { name: 'Invoice question', agent, personality, instructions: 'Ask about your invoice.' });
    const started = await s.api('POST', `scenarios/${sc.id}/improve_instructions/`, { user_message: 'Mention the invoice number INV-2231' });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const generated = await s.api('POST', 'scenarios/generate-bg/', { agent_id: agent, num_scenarios: 2, extra_instructions: 'Refund calls' });
    expect(generated.status, JSON.stringify(generated.body)).toBe(200);
    const dataOf = (progressId: string) =>
      ofEvent('job.completed')
        .map((d) => JSON.parse(d.body).data)
        .find((d) => d.progress_id === progressId);
    await until(() => dataOf(started.body.progress_id) !== undefined && dataOf(generated.body.progress_id) !== undefined);

    const instructions = (await s.api('GET', `scenarios/instructions-progress/?progress_id=${started.body.progress_id}`)).body;
    expect(instructions).toMatchObject({ status: 'completed', id: sc.id, changes: { instructions: expect.any(Object) } });
    expect(dataOf(started.body.progress_id)).toEqual({ ...instructions, project_id: s.defaultProjectId, kind: 'instructions' });

    const generation = (await s.api('GET', `scenarios/generate-progress/?progress_id=${generated.body.progress_id}`)).body;
    expect(generation).toMatchObject({ status: 'completed', completed_scenarios: 2, scenarios_list: [expect.any(Object), expect.any(Object)] });
    expect(dataOf(generated.body.progress_id)).toEqual({ ...generation, project_id: s.defaultProjectId, kind: 'clarify' });
  });

  it('signatures fail for a tampered body, another secret or a stale timestamp', () => {
    const d = ofEvent('job.completed')[0]!;
    const now = Math.floor(Date.now() / 1000);
    expect(verifyWebhook(secret, d.headers, d.body, Number(d.headers['webhook-timestamp']))).toBe(true);
    expect(verifyWebhook(secret, d.headers, d.body.replace('completed', 'failed'), now)).toBe(false);
    expect(verifyWebhook(`whsec_${Buffer.from('another secret').toString('base64')}`, d.headers, d.body, now)).toBe(false);
    expect(verifyWebhook(secret, d.headers, d.body, Number(d.headers['webhook-timestamp']) + 3600)).toBe(false);
  });

  it('a disabled webhook receives nothing', async () => {
    await s.api('PATCH', `webhooks/${webhookId}/`, { enabled: false });
    const before = received.length;
    const sc = await createScenario(s.api, { name: 'Quiet', agent, personality });
    await s.api('POST', 'scenarios/adv_update/', { scenarios: [sc.id], project: s.defaultProjectId, max_duration: 120 });
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(before);
  });
});

describe('where deliveries may go', () => {
  let api: TestServer;
  const hits: string[] = [];
  let target: http.Server;
  let redirector: http.Server;
  let port = 0;
  let redirectPort = 0;
  const quiet = { info() {}, warn() {}, error() {} };
  /** Sends what is due once, from a sender whose allow-list is `allowed`. */
  const sendAs = (allowed: string) =>
    new WebhookSender({
      store: api.running.store,
      config: loadConfig({ SCENARIST_DATA_DIR: api.dataDir, SCENARIST_WEBHOOK_ALLOWED_HOSTS: allowed }),
      clock: () => new Date(),
      log: quiet,
    }).sendDue();
  const deliveries = async (hook: number) => (await api.api('GET', `webhooks/${hook}/deliveries/`)).body.results;
  const listen = (server: http.Server) => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));

  beforeAll(async () => {
    target = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      res.statusCode = 204;
      res.end();
    });
    port = await listen(target);
    redirector = http.createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: `http://127.0.0.1:${port}/redirected` });
      res.end();
    });
    redirectPort = await listen(redirector);
    // The API takes the names; whether they may be reached is decided when a delivery is sent.
    api = await startTestServer({ SCENARIST_WEBHOOK_ALLOWED_HOSTS: `localhost,127.0.0.1:${redirectPort}` }, { worker: false });
    const a = await insertAgent(api.running.store.db, api.defaultProjectId);
    const p = await personalityIdFromStore(api.running.store.db);
    const hook = async (url: string) =>
      (await api.api('POST', 'webhooks/', { project: api.defaultProjectId, url, events: ['changeset.applied'] })).body.id as number;
    const byName = await hook(`http://localhost:${port}/by-name`);
    const redirecting = await hook(`http://127.0.0.1:${redirectPort}/moved`);
    const sc = await createScenario(api.api, { name: 'Rebinding', agent: a, personality: p });
    expect((await api.api('POST', 'scenarios/adv_update/', { scenarios: [sc.id], project: api.defaultProjectId, max_duration: 60 })).status).toBe(200);
    Object.assign(ids, { byName, redirecting });
  });
  const ids = { byName: 0, redirecting: 0 };
  afterAll(async () => {
    await api?.stop();
    target?.close();
    redirector?.close();
  });

  it('a name the allow-list takes but that resolves to loopback is refused by its address, and not tried again', async () => {
    await sendAs(`localhost,127.0.0.1:${redirectPort}`);
    expect(hits).toEqual([]);
    const [d] = await deliveries(ids.byName);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
    expect(d.last_error).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback or private address/);
    // The same name, with loopback listed as an address, is delivered once redelivered by hand.
    await api.api('POST', `webhooks/${ids.byName}/deliveries/${d.id}/redeliver/`);
    await sendAs(`localhost,127.0.0.1,::1,127.0.0.1:${redirectPort}`);
    expect(hits).toEqual(['/by-name']);
    expect((await deliveries(ids.byName))[0]).toMatchObject({ status: 'delivered', last_status_code: 204 });
  });

  it('a redirect is not followed: the 3xx is the answer, recorded', async () => {
    const [d] = await deliveries(ids.redirecting);
    expect(d).toMatchObject({ last_status_code: 307, status: 'pending', last_error: expect.stringContaining('do not follow redirects') });
    expect(hits).not.toContain('/redirected');
  });

  it('without an allow-list, loopback and private addresses are refused as URLs, while names that merely look like one are not', () => {
    expect(webhookUrlProblem('http://127.0.0.1/x', [])).toMatch(/loopback or private/);
    expect(webhookUrlProblem('http://[::ffff:10.0.0.1]/x', [])).toMatch(/loopback or private/);
    expect(webhookUrlProblem('http://[fd00::1]/x', [])).toMatch(/loopback or private/);
    expect(webhookUrlProblem('https://fdic.example/x', [])).toBeNull();
    expect(resolvedAddressProblem('hooks.example', '10.1.2.3', 443, [])).toMatch(/hooks.example resolves to 10.1.2.3/);
    expect(resolvedAddressProblem('hooks.example', '100.64.0.1', 443, ['hooks.example'])).toMatch(/resolves to 100.64.0.1/);
    expect(resolvedAddressProblem('hooks.example', '93.184.216.34', 443, [])).toBeNull();
    expect(resolvedAddressProblem('hooks.example', '10.1.2.3', 443, ['hooks.example', '10.1.2.3'])).toBeNull();
    expect(resolvedAddressProblem('10.1.2.3', '10.1.2.3', 8080, ['10.1.2.3:8080'])).toBeNull();
    expect(resolvedAddressProblem('10.1.2.3', '10.1.2.3', 9090, ['10.1.2.3:8080'])).toMatch(/resolves to 10.1.2.3/);
    expect(resolvedAddressProblem('::1', '::1', 8080, ['[::1]:8080'])).toBeNull();
    expect(resolvedAddressProblem('localhost', '::ffff:127.0.0.1', 80, ['127.0.0.1'])).toBeNull();
    expect(resolvedAddressProblem('::1', '::1', 80, ['localhost'])).toMatch(/resolves to ::1/);
  });
});
