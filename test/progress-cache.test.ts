import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openStore, type Store } from '../src/store/db.js';
import { LISTENER_NAME } from '../src/store/job-events.js';
import { claimNext, finishJob, type Lease, setProgress } from '../src/store/jobs.js';
import { createApiKey } from '../src/store/organizations.js';
import { createAgent, createScenario, personalityId } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();
const noUsage = { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, model_calls: 0 };

/**
 * Polls of running jobs answered from the API process's memory, as a separate worker process
 * writes them: the worker here is a store of its own (its own connections), as `scenarist worker`
 * is. On PostgreSQL its word reaches the API by NOTIFY; on SQLite it sends none, and the API sees
 * its commits on the file.
 */
describe.each(testDatabases)('polls from memory on $name', ({ name }) => {
  let s: TestServer;
  let worker: Store;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let scenarioIds: number[];

  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env, { worker: false });
    worker =
      name === 'postgres'
        ? openStore({ kind: 'postgres', url: database.env.DATABASE_URL!, poolSize: 2 })
        : openStore({ kind: 'sqlite', file: path.join(s.dataDir, 'scenarist.db') });
    await migrate(worker);
    const agent = await createAgent(s.api, s.defaultProjectId);
    const personality = await personalityId(s.api);
    scenarioIds = [];
    for (const n of ['One', 'Two']) scenarioIds.push((await createScenario(s.api, { name: n, agent, personality, instructions: 'Ask about the bill.' })).id);
  });
  afterAll(async () => {
    await worker?.close();
    await s?.stop();
    await database?.drop();
  });

  async function start(): Promise<string> {
    const res = await s.api('POST', 'scenarios/scenario-agent/', { scenarios: scenarioIds, user_message: 'Add the DTMF tool' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.progress_id;
  }
  async function claim(progressId: string): Promise<Lease> {
    const job = await claimNext(worker.db, 'other-process', 60_000, new Date(), undefined, progressId);
    expect(job).not.toBeNull();
    return { jobId: job!.id, owner: 'other-process', attempt: job!.attempts };
  }
  const poll = async (id: string, api = s.api) => api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}`);
  /** Polls until `done` holds, for at most `ms`; answers the last poll and how long it took. */
  async function pollUntil(id: string, done: (body: any) => boolean, ms = 2_000): Promise<{ body: any; after: number }> {
    const started = Date.now();
    for (;;) {
      const res = await poll(id);
      if (done(res.body) || Date.now() - started > ms) return { body: res.body, after: Date.now() - started };
      await sleep(2);
    }
  }

  it('a write by another process reaches the next polls, and the final answer is exact', async () => {
    const id = await start();
    const lease = await claim(id);
    // Read once: from now on the running job is answered from memory.
    expect((await poll(id)).body).toMatchObject({ status: 'in_progress', progress: { done: 0 } });
    expect(await setProgress(worker.db, lease, 1, 2, undefined, now())).toBe(true);
    worker.jobEvents.changed(id);
    const seen = await pollUntil(id, (b) => b.progress.done === 1);
    expect(seen.body).toMatchObject({ status: 'in_progress', progress: { done: 1, total: 2 } });
    expect(seen.after).toBeLessThan(1_000);

    const result = { success: true, message: 'Done.', updated_scenarios: [] };
    expect(
      await finishJob(
        worker.db,
        lease,
        { status: 'completed', result: result as never, error: null, usage: { ...noUsage, model_calls: 1 }, progressDone: 2, progressTotal: 2 },
        now(),
      ),
    ).toBe(true);
    worker.jobEvents.changed(id);
    const final = await pollUntil(id, (b) => b.status !== 'in_progress');
    expect(final.body).toMatchObject({
      status: 'completed',
      result: { ...result, kind: 'improve' },
      progress: { done: 2, total: 2 },
      usage: { model_calls: 1 },
    });
    // Every later poll gives the same final answer.
    expect((await poll(id)).body).toEqual(final.body);
  });

  it('a cancel is answered at once by the process that took it, and a job of another organization stays a 404', async () => {
    const id = await start();
    expect((await poll(id)).body.status).toBe('in_progress');
    const other = await s.otherOrganization();
    expect((await poll(id, other.api)).status).toBe(404);
    expect((await poll(id)).status).toBe(200);

    const cancelled = await s.api('POST', 'scenarios/cancel-agent/', { progress_id: id });
    expect(cancelled.body).toMatchObject({ success: true, status: 'cancelled' });
    const after = await poll(id);
    expect(after.body).toMatchObject({ status: 'cancelled', result: { cancelled: true } });
    expect((await poll(id, other.api)).status).toBe(404);
  });

  it('a job in memory is still checked as any poll is: a bad wait is a 400, a good one waits, a stream streams', async () => {
    const id = await start();
    expect((await poll(id)).body.status).toBe('in_progress');
    const bad = await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}&wait=abc`);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body)).toContain('wait');
    const waited = Date.now();
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${id}&wait=0.3`)).body.status).toBe('in_progress');
    expect(Date.now() - waited).toBeGreaterThanOrEqual(250);
    const stream = await fetch(`${s.url}/test_framework/v1/scenarios/scenario-agent-progress/?progress_id=${id}`, {
      headers: { 'X-CEKURA-API-KEY': s.key, accept: 'text/event-stream' },
    });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.body?.cancel();
    const plain = await fetch(`${s.url}/test_framework/v1/scenarios/scenario-agent-progress/?progress_id=${id}`, { headers: { 'X-CEKURA-API-KEY': s.key } });
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await plain.json()).toMatchObject({ progress_id: id, status: 'in_progress' });
  });

  it('deleting the session of a running job shows at once in its polls (no longer in a session)', async () => {
    const id = await start();
    const first = await poll(id);
    expect(first.body.session_id).toEqual(expect.any(Number));
    expect((await s.api('DELETE', `scenario-improvement-sessions/${first.body.session_id}/`)).status).toBe(204);
    expect((await poll(id)).body).toMatchObject({ status: 'in_progress', session_id: null });
  });

  it("a key limited to another project gets a 404 on each poll, one limited to the job's project its answer", async () => {
    const id = await start();
    const { db } = s.running.store;
    const project = await db.selectFrom('projects').select(['id', 'organization_id']).where('id', '=', s.defaultProjectId).executeTakeFirstOrThrow();
    const elsewhere = await s.api('POST', 'projects/', { name: 'Elsewhere' });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(201);
    const outside = await createApiKey(db, project.organization_id, 'outside', now(), elsewhere.body.id);
    const inside = await createApiKey(db, project.organization_id, 'inside', now(), project.id);
    expect((await poll(id)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect((await poll(id, s.as(outside.key))).status).toBe(404);
      expect((await poll(id, s.as(inside.key))).body).toMatchObject({ progress_id: id, status: 'in_progress' });
    }
  });

  if (name === 'postgres') {
    /** A hand edit that sends no word: the jobs table's trigger is off for its connection. */
    async function writeUnheard(id: string, done: number): Promise<void> {
      const c = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await c.connect();
      try {
        await c.query('set session_replication_role = replica');
        await c.query('update jobs set progress_done = $1 where progress_id = $2', [done, id]);
      } finally {
        await c.end();
      }
    }
    const listenerUp = async (admin: pg.Client) =>
      Boolean((await admin.query('select 1 from pg_stat_activity where datname = current_database() and application_name = $1', [LISTENER_NAME])).rowCount);

    it('a write by a process that says nothing itself is heard from the database (its trigger sends NOTIFY)', async () => {
      const id = await start();
      const lease = await claim(id);
      expect((await poll(id)).body.progress.done).toBe(0);
      expect(await setProgress(worker.db, lease, 1, 2, undefined, now())).toBe(true);
      const seen = await pollUntil(id, (b) => b.progress.done === 1);
      expect(seen.body.progress).toEqual({ done: 1, total: 2 });
      expect(seen.after).toBeLessThan(1_000);
    });

    it('the poll is answered from memory: nothing re-reads it on a timer', async () => {
      const id = await start();
      const lease = await claim(id);
      expect((await poll(id)).body.progress.done).toBe(0);
      await writeUnheard(id, 1);
      await sleep(1_500);
      expect((await poll(id)).body.progress.done).toBe(0);
      // The next change that is heard brings the row as it is.
      expect(await setProgress(worker.db, lease, 2, 2, undefined, now())).toBe(true);
      expect((await pollUntil(id, (b) => b.progress.done === 2)).body.progress).toEqual({ done: 2, total: 2 });
    });

    it("a key limited to the job's project is answered from memory as well; one limited to another project never is", async () => {
      const id = await start();
      const lease = await claim(id);
      const { db } = s.running.store;
      const project = await db.selectFrom('projects').select(['id', 'organization_id']).where('id', '=', s.defaultProjectId).executeTakeFirstOrThrow();
      const elsewhere = await s.api('POST', 'projects/', { name: 'Elsewhere too' });
      const inside = await createApiKey(db, project.organization_id, 'inside', now(), project.id);
      const outside = await createApiKey(db, project.organization_id, 'outside', now(), elsewhere.body.id);
      // The limited key's own read puts the job in memory.
      expect((await poll(id, s.as(inside.key))).body.progress.done).toBe(0);
      await writeUnheard(id, 1);
      await sleep(300);
      expect((await poll(id, s.as(inside.key))).body.progress.done).toBe(0);
      expect((await poll(id)).body.progress.done).toBe(0);
      expect((await poll(id, s.as(outside.key))).status).toBe(404);
      expect(await setProgress(worker.db, lease, 2, 2, undefined, now())).toBe(true);
      const res = await pollUntil(id, (b) => b.progress.done === 2);
      expect(res.body.progress.done).toBe(2);
      expect((await poll(id, s.as(inside.key))).body.progress.done).toBe(2);
    });

    it('while the LISTEN connection is down polls read the database, and once it is back they are answered from memory again', async () => {
      const id = await start();
      const lease = await claim(id);
      expect((await poll(id)).body.progress.done).toBe(0);
      const admin = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await admin.connect();
      try {
        expect(await listenerUp(admin)).toBe(true);
        await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = $1', [
          LISTENER_NAME,
        ]);
        // Written while no word can reach the API: seen anyway, since nothing is trusted from memory without the connection.
        await writeUnheard(id, 1);
        expect((await pollUntil(id, (b) => b.progress.done === 1, 5_000)).body.progress.done).toBe(1);
        // Back within the retry's backoff: the running job is kept in memory again.
        const back = Date.now();
        while (!(await listenerUp(admin)) && Date.now() - back < 10_000) await sleep(50);
        await sleep(100);
        await poll(id);
        await writeUnheard(id, 2);
        await sleep(300);
        expect((await poll(id)).body.progress.done).toBe(1);
        expect(await setProgress(worker.db, lease, 2, 2, undefined, now())).toBe(true);
        expect((await pollUntil(id, (b) => b.progress.total === 2 && b.progress.done === 2)).body.progress.done).toBe(2);
      } finally {
        await admin.end();
      }
    });
  }
});
