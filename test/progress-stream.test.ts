import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openStore, type Store } from '../src/store/db.js';
import { claimNext, finishJob, type Lease, type Outcome, setProgress } from '../src/store/jobs.js';
import { createAgent, createScenario, personalityId } from './helpers/agent.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sseEvents } from './helpers/sse.js';

/**
 * Following a job by stream and by long poll, with the test writing the job as a worker does. On
 * PostgreSQL the "worker" has a store (connections) of its own, so word reaches the API only by
 * notification; on SQLite it shares the API's store, as the embedded runner does.
 */
const dialects = [{ name: 'sqlite' }, ...(pgEnabled ? [{ name: 'postgres' }] : [])];

describe.each(dialects)('progress by stream and long poll on $name', ({ name }) => {
  let s: TestServer;
  let worker: Store;
  let ownWorkerStore = false;
  let dropDb: (() => Promise<void>) | undefined;
  let scenarioIds: number[];
  const now = () => new Date().toISOString();
  /** What the stream carries is the test's subject, not the shape of a kind's result. */
  const stored = (r: object) => r as Outcome['result'];

  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (name === 'postgres') {
      const db = await createTestDatabase();
      dropDb = db.drop;
      env = { DATABASE_URL: db.url };
    }
    // No worker in the API process: the test plays the worker, through a store of its own.
    s = await startTestServer(env, { worker: false });
    if (name === 'postgres') {
      worker = openStore({ kind: 'postgres', url: env.DATABASE_URL!, poolSize: 2 });
      ownWorkerStore = true;
      await migrate(worker);
    } else worker = s.running.store;
    const agent = await createAgent(s.api, s.defaultProjectId);
    const personality = await personalityId(s.api);
    scenarioIds = [];
    for (const n of ['One', 'Two']) scenarioIds.push((await createScenario(s.api, { name: n, agent, personality, instructions: 'Ask about the bill.' })).id);
  });
  afterAll(async () => {
    if (ownWorkerStore) await worker.close();
    await s?.stop();
    await dropDb?.();
  });

  async function start(): Promise<string> {
    const res = await s.api('POST', 'scenarios/scenario-agent/', { scenarios: scenarioIds, user_message: 'Add the DTMF tool' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.progress_id;
  }

  async function claim(progressId: string): Promise<Lease> {
    const job = await claimNext(worker.db, 'test-worker', 60_000, new Date(), undefined, progressId);
    expect(job).not.toBeNull();
    return { jobId: job!.id, owner: 'test-worker', attempt: job!.attempts };
  }

  const progressUrl = (id: string, extra = '') => `${s.url}/test_framework/v1/scenarios/scenario-agent-progress/?progress_id=${id}${extra}`;

  it('streams each progress change and the final answer, in the JSON a poll returns, then ends', async () => {
    const id = await start();
    const res = await fetch(progressUrl(id), { headers: { 'X-CEKURA-API-KEY': s.key, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = sseEvents(res);
    const first = await events.next();
    expect(first.value).toMatchObject({ event: 'progress', data: { progress_id: id, status: 'in_progress', progress: { done: 0 } } });

    const lease = await claim(id);
    expect(await setProgress(worker.db, lease, 1, 2, undefined, now())).toBe(true);
    worker.jobEvents.changed(id);
    const second = await events.next();
    expect(second.value).toMatchObject({ event: 'progress', data: { status: 'in_progress', progress: { done: 1, total: 2 } } });

    const result = { success: true, message: 'Done.', updated_scenarios: [] };
    expect(
      await finishJob(
        worker.db,
        lease,
        {
          status: 'completed',
          result: stored(result),
          error: null,
          usage: { input_tokens: 3, output_tokens: 4, cached_input_tokens: 0, model_calls: 1 },
          progressDone: 2,
          progressTotal: 2,
        },
        now(),
      ),
    ).toBe(true);
    worker.jobEvents.changed(id);
    // A poll beside the stream sees the change at once too (the process's cache of running jobs heard it).
    const last = await events.next();
    expect(last.value!.event).toBe('final');
    const polled = await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}`);
    expect(last.value!.data).toEqual(polled.body);
    expect(polled.body).toMatchObject({ status: 'completed', result, progress: { done: 2, total: 2 } });
    expect((await events.next()).done).toBe(true);
  });

  it('a finished job streams its final answer alone; a job of another organization is a 404, not a stream', async () => {
    const id = await start();
    const lease = await claim(id);
    await finishJob(
      worker.db,
      lease,
      {
        status: 'failed',
        result: stored({ success: false }),
        error: 'boom',
        usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, model_calls: 0 },
      },
      now(),
    );
    const res = await fetch(progressUrl(id), { headers: { 'X-CEKURA-API-KEY': s.key, accept: 'text/event-stream' } });
    const all = [];
    for await (const e of sseEvents(res)) all.push(e);
    expect(all).toEqual([{ event: 'final', data: expect.objectContaining({ status: 'failed', error: 'boom' }) }]);

    const other = await s.otherOrganization();
    const theirs = await fetch(progressUrl(id), { headers: { 'X-CEKURA-API-KEY': other.key, accept: 'text/event-stream' } });
    expect(theirs.status).toBe(404);
    expect(await theirs.json()).toEqual({ detail: expect.any(String) });
  });

  it('&wait=N answers when the progress changes, at once for a final job, and after N seconds with no change', async () => {
    const id = await start();
    const lease = await claim(id);
    const started = Date.now();
    const waiting = s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}&wait=20`);
    await new Promise((r) => setTimeout(r, 300));
    await setProgress(worker.db, lease, 1, 2, undefined, now());
    worker.jobEvents.changed(id);
    const changed = await waiting;
    expect(changed.status).toBe(200);
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}`)).body.progress).toEqual({ done: 1, total: 2 });
    expect(changed.body).toMatchObject({ status: 'in_progress', progress: { done: 1, total: 2 } });
    expect(Date.now() - started).toBeLessThan(10_000);

    // Nothing changes: the state as it is after the wait.
    const quiet = Date.now();
    const unchanged = await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}&wait=0.5`);
    expect(unchanged.body).toMatchObject({ progress: { done: 1, total: 2 } });
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(450);

    await finishJob(
      worker.db,
      lease,
      {
        status: 'completed',
        result: stored({ success: true }),
        error: null,
        usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, model_calls: 0 },
      },
      now(),
    );
    worker.jobEvents.changed(id);
    const fast = Date.now();
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}&wait=30`)).body.status).toBe('completed');
    expect(Date.now() - fast).toBeLessThan(5_000);
  });

  it('a wait that is not a number of seconds up to 60 is a 400 naming the field', async () => {
    const id = await start();
    for (const bad of ['abc', '-1', '61']) {
      const res = await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}&wait=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(Object.keys(res.body)).toContain('wait');
    }
  });

  it('instructions-progress/ streams too', async () => {
    const res = await s.api('POST', 'scenarios/generate-instructions/', {
      agent_id: (await s.api('GET', `scenarios/${scenarioIds[0]}/`)).body.agent,
      name: 'New one',
      extra_instructions: 'Billing',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = res.body.progress_id as string;
    const stream = await fetch(`${s.url}/test_framework/v1/scenarios/instructions-progress/?progress_id=${id}`, {
      headers: { 'X-CEKURA-API-KEY': s.key, accept: 'text/event-stream' },
    });
    const events = sseEvents(stream);
    expect((await events.next()).value).toMatchObject({ event: 'progress', data: { progress_id: id, status: 'in_progress' } });
    const lease = await claim(id);
    await finishJob(
      worker.db,
      lease,
      { status: 'failed', result: stored({}), error: 'no model', usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, model_calls: 0 } },
      now(),
    );
    worker.jobEvents.changed(id);
    expect((await events.next()).value).toMatchObject({ event: 'final', data: { status: 'failed', error: 'no model' } });
  });

  it('generate-progress/ streams too, ending when the generation is final', async () => {
    const agent = (await s.api('GET', `scenarios/${scenarioIds[0]}/`)).body.agent;
    const res = await s.api('POST', 'scenarios/generate-bg/', { agent_id: agent, num_scenarios: 2, extra_instructions: 'Billing' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = res.body.progress_id as string;
    const stream = await fetch(`${s.url}/test_framework/v1/scenarios/generate-progress/?progress_id=${id}`, {
      headers: { 'X-CEKURA-API-KEY': s.key, accept: 'text/event-stream' },
    });
    const events = sseEvents(stream);
    expect((await events.next()).value).toMatchObject({ event: 'progress', data: { progress_id: id, status: 'in_progress' } });
    const lease = await claim(id);
    await finishJob(
      worker.db,
      lease,
      { status: 'failed', result: stored({}), error: 'no model', usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, model_calls: 0 } },
      now(),
    );
    worker.jobEvents.changed(id);
    expect((await events.next()).value).toMatchObject({ event: 'final', data: { progress_id: id, status: 'failed', error: 'no model' } });
    expect((await events.next()).done).toBe(true);
  });
});
