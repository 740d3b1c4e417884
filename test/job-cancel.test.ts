import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { statusAfterAbort } from '../src/jobs/abort.js';
import { jobTunables } from '../src/jobs/tunables.js';
import { cancelJob, claimNext, heartbeat, insertJob } from '../src/store/jobs.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A cancel made in one process reaches a job running in another through the job's heartbeat, as a
 * cancel: the model call in flight is aborted with the reason "cancelled" (not "lease lost"), the
 * job ends cancelled and its session says so. The API process here runs no worker; the job runs in
 * a `scenarist worker` process whose every improve call waits until it is aborted.
 */
const root = path.join(import.meta.dirname, '..');
const env = { SCENARIST_LEASE_MS: '3000', SCENARIST_HEARTBEAT_MS: '100', SCENARIST_WORKER_CONCURRENCY: '1', SCENARIST_LOG_LEVEL: 'silent' };

/** A worker process and the JSON log lines it has written so far. */
function startWorker(extra: Record<string, string>): Promise<{ child: ChildProcess; logs: Array<Record<string, unknown>> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/worker-process.ts'], {
    cwd: root,
    env: { ...process.env, ...env, ...extra, SCENARIST_LOG_LEVEL: 'info', SCENARIST_FIXTURE_SLOW_MS: '120000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('WORKER ')) resolve({ child, logs });
        else if (line.startsWith('{')) logs.push(JSON.parse(line));
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

// PostgreSQL runs when SCENARIST_TEST_PG=1 (npm run test:pg, CI).
describe.each([{ name: 'SQLite', pg: false }, ...(pgEnabled ? [{ name: 'PostgreSQL', pg: true }] : [])])('cancel across processes on $name', ({ pg }) => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let s: TestServer;
  let worker: Awaited<ReturnType<typeof startWorker>>;
  let agent: number;
  let scenarioId: number;

  beforeAll(async () => {
    if (pg) database = await createTestDatabase();
    const dbEnv: Record<string, string> = database ? { DATABASE_URL: database.url } : {};
    s = await startTestServer({ ...env, ...dbEnv }, { worker: false });
    worker = await startWorker({ SCENARIST_DATA_DIR: s.dataDir, ...dbEnv });
    agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    const personality = await personalityIdFromStore(s.running.store.db);
    scenarioId = (await createScenario(s.api, { name: 'Far away', agent, personality })).id;
  }, 30_000);

  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await new Promise((r) => worker.child.once('exit', r));
    }
    await s?.stop();
    await database?.drop();
  });

  it('aborts the running model call as a cancel; the job ends cancelled and its session says so', async () => {
    const { progress_id, session_id } = await startJob(s.api, { scenarios: [scenarioId], user_message: 'add DTMF' });
    const row = () => s.running.store.db.selectFrom('jobs').selectAll().where('progress_id', '=', progress_id).executeTakeFirstOrThrow();
    await expect.poll(async () => (await row()).lease_owner, { timeout: 10_000 }).not.toBeNull();
    await new Promise((r) => setTimeout(r, 300)); // the worker is inside its (endless) model call

    const res = await s.api('POST', 'scenarios/cancel-agent/', { progress_id });
    expect(res.body).toEqual({ success: true, session_id, progress_id, status: 'cancelled' });
    // Within a few heartbeats, far inside the lease: the worker heard a cancel, not a lost lease.
    await expect
      .poll(() => worker.logs.find((l) => l.job === progress_id), { timeout: 2_000 })
      .toMatchObject({ msg: 'job aborted', reason: 'cancelled', status: 'cancelled' });

    const final = await waitForJob(s.api, progress_id);
    expect(final).toMatchObject({ status: 'cancelled', result: { success: false, cancelled: true, message: 'Cancelled.' } });
    const session = (await s.api('GET', `scenario-improvement-sessions/${session_id}/`)).body;
    expect(session.status).toBe('cancelled');
    expect(session.conversation_history.map((t: { role: string; content: string }) => [t.role, t.content])).toEqual([
      ['user', 'add DTMF'],
      ['assistant', 'Cancelled.'],
    ]);
    // Its one slot is free again: the worker takes the next job (drafts are not slowed down).
    const next = await startJob(s.api, { agent_id: agent, user_message: 'billing disputes', num_scenarios: 1 });
    expect((await waitForJob(s.api, next.progress_id)).status).not.toBe('in_progress');
    // The aborted worker wrote nothing after the cancel.
    expect(await row()).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect((await s.api('GET', `scenario-improvement-sessions/${session_id}/`)).body.conversation_history).toHaveLength(2);
  }, 30_000);

  it('a job claimed again elsewhere reaches its old worker as a lost lease, and only its holder hears of a cancel', async () => {
    const db = s.running.store.db;
    const now = new Date();
    const job = await insertJob(
      db,
      { organizationId: 1, projectId: s.defaultProjectId, sessionId: null, kind: 'clarify', mode: 'clarify', request: {}, maxAttempts: 3, createdBy: null },
      now.toISOString(),
    );
    const first = (await claimNext(db, 'first', 1_000, now, ['clarify'], job.progress_id))!;
    const later = new Date(now.getTime() + 5_000);
    const second = (await claimNext(db, 'second', 60_000, later, ['clarify'], job.progress_id))!;
    const old = { jobId: job.id, owner: 'first', attempt: first.attempts };
    const held = { jobId: job.id, owner: 'second', attempt: second.attempts };
    expect(await heartbeat(db, old, 1_000, later)).toEqual({ owned: false, cancelRequested: false });
    expect(await heartbeat(db, held, 60_000, later)).toEqual({ owned: true, cancelRequested: false });
    expect(await cancelJob(db, job.id, later.toISOString())).toBe(true);
    expect(await heartbeat(db, held, 60_000, later)).toEqual({ owned: false, cancelRequested: true });
    expect(await heartbeat(db, old, 1_000, later)).toEqual({ owned: false, cancelRequested: false });
  });
});

describe('abort reasons and job timings', () => {
  it('map each abort reason to the status the job ends in', () => {
    expect(statusAfterAbort({ kind: 'cancelled' })).toBe('cancelled');
    expect(statusAfterAbort({ kind: 'shutdown' })).toBe('in_progress');
    expect(statusAfterAbort({ kind: 'lease_lost' })).toBeNull();
  });

  it('keep every timing within the lease the configuration sets', () => {
    const t = jobTunables(loadConfig({ SCENARIST_LEASE_MS: '1500', SCENARIST_HEARTBEAT_MS: '1000' }));
    expect(t.offerWaitMs).toBe(750);
    expect(t.sweepMs).toBe(750);
    expect(t.queuedPollMs).toBe(750);
    expect(t.queue.expireInSeconds).toBe(2);
    // A dead worker's job is claimed again within lease + half a lease (7.5 s) of its last heartbeat.
    const defaults = jobTunables(loadConfig({}));
    expect(defaults).toMatchObject({ leaseMs: 5_000, heartbeatMs: 1_000, sweepMs: 2_500, queuedPollMs: 2_500, offerWaitMs: 1_000, maxAttempts: 3 });
    expect(defaults.leaseMs + defaults.queuedPollMs).toBeLessThan(10_000);
  });
});
