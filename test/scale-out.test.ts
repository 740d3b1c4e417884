import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ScenarioAgentBody } from '../src/domain/scenario-agent.js';
import { submitScenarioAgent } from '../src/services/submit.js';
import { bootstrap } from '../src/store/bootstrap.js';
import { migrate, openStore, type Store } from '../src/store/db.js';
import { launch } from './helpers/kill-mid-job.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';

/**
 * Scale-out on PostgreSQL with real processes: two API processes (`serve --no-worker`) and two
 * workers share one database. Jobs go in through both APIs, one worker is killed with SIGKILL
 * mid-run, and every job still finishes exactly once; concurrent applies through both APIs on one
 * scenario leave one winner and one conflict; a lost database is reported and survived.
 */
const JOBS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!pgEnabled)('scale-out on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let key: string;
  let organizationId: number;
  let projectId: number;
  let dataDir: string;
  const procs: ChildProcess[] = [];
  const apis: string[] = [];
  const workers: Array<{ child: ChildProcess; owner: string }> = [];

  const call = async (api: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${api}/test_framework/v1/${url}`, {
      method,
      headers: { 'X-CEKURA-API-KEY': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const finalState = (api: string, progressId: string) =>
    until(`job ${progressId}`, async () => {
      const { body } = await call(api, 'GET', `scenarios/scenario-agent-progress/?progress_id=${progressId}`);
      return body.status !== 'in_progress' && body;
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    store = openStore({ kind: 'postgres', url: database.url, poolSize: 4 });
    await migrate(store);
    const boot = (await bootstrap(store, new Date().toISOString()))!;
    key = boot.key;
    projectId = boot.projectId;
    organizationId = boot.organizationId;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-scale-'));
    const env = {
      DATABASE_URL: database.url,
      SCENARIST_DATA_DIR: dataDir,
      SCENARIST_HOST: '127.0.0.1',
      SCENARIST_PORT: '0',
      SCENARIST_LOG_LEVEL: 'silent',
      SCENARIST_LEASE_MS: '1500',
      SCENARIST_HEARTBEAT_MS: '300',
      SCENARIST_WORKER_CONCURRENCY: '4',
      SCENARIST_DB_POOL_SIZE: '5',
      SCENARIST_SHUTDOWN_GRACE_MS: '1000',
    };
    // An API process never calls the engine: a model it could not build does not stop it.
    const apiEnv = { ...env, SCENARIST_MODEL: 'openai:not-configured' };
    const started = await Promise.all([
      launch(['src/cli/main.ts', 'serve', '--no-worker'], apiEnv, /listening on/),
      launch(['src/cli/main.ts', 'serve', '--no-worker'], apiEnv, /listening on/),
      launch(['test/fixtures/worker-process.ts'], { ...env, SCENARIST_FIXTURE_SLOW_MS: '400' }, /^WORKER /),
      launch(['test/fixtures/worker-process.ts'], { ...env, SCENARIST_FIXTURE_SLOW_MS: '400' }, /^WORKER /),
    ]);
    for (const p of started) procs.push(p.child);
    apis.push(...started.slice(0, 2).map((p) => /listening on (\S+)/.exec(p.line)![1]!));
    workers.push(...started.slice(2).map((p) => ({ child: p.child, owner: p.line.slice('WORKER '.length).trim() })));
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : null)));
    await store?.close();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes every job exactly once when a worker is killed mid-run', async () => {
    const [a, b] = apis as [string, string];
    const personality = (await call(a, 'GET', 'personalities/')).body[0].id;
    const agent = (await call(a, 'POST', 'aiagents/', { project: projectId, agent_name: 'Bot' })).body;
    const scenarios: number[] = [];
    for (let i = 0; i < 5; i++) scenarios.push((await call(b, 'POST', 'scenarios/', { name: `S${i}`, agent: agent.id, personality })).body.id);

    const submitted = await Promise.all(
      Array.from({ length: JOBS }, async (_, i) => {
        const res = await call(i % 2 ? b : a, 'POST', 'scenarios/scenario-agent/', {
          scenarios: [scenarios[i % 5]],
          project_id: projectId,
          user_message: 'add DTMF',
        });
        expect(res.status).toBe(200);
        return res.body as { progress_id: string; session_id: number };
      }),
    );

    // Kill a worker while it holds jobs, with no chance to hand them back.
    const victim = workers[0]!;
    const heldBy = async (owner: string) =>
      (await store.db.selectFrom('jobs').select('id').where('lease_owner', '=', owner).where('status', '=', 'in_progress').execute()).map((r) => r.id);
    await until('the victim to hold jobs', async () => (await heldBy(victim.owner)).length >= 2);
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    // What the dead worker held now waits for its lease to expire (well within a lease from here).
    const held = await heldBy(victim.owner);
    expect(held.length).toBeGreaterThan(0);

    const finals = await Promise.all(submitted.map((s, i) => finalState(i % 2 ? a : b, s.progress_id)));
    for (const f of finals) expect(f).toMatchObject({ status: 'completed', result: { success: true } });

    const jobs = await store.db.selectFrom('jobs').select(['id', 'status', 'attempts', 'session_id']).execute();
    expect(jobs).toHaveLength(JOBS);
    // The killed worker's jobs were taken over after their lease expired.
    for (const id of held) expect(jobs.find((j) => j.id === id)).toMatchObject({ status: 'completed', attempts: 2 });
    const turns = await store.db
      .selectFrom('session_messages')
      .select(['session_id', 'role', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['session_id', 'role'])
      .execute();
    for (const s of submitted) {
      expect(
        turns
          .filter((t) => t.session_id === s.session_id)
          .map((t) => [t.role, Number(t.n)])
          .sort(),
      ).toEqual([
        ['assistant', 1],
        ['user', 1],
      ]);
    }
    // Improve jobs only suggest: no scenario was written.
    const revisions = await store.db.selectFrom('scenario_revisions').select('scenario_id').where('scenario_id', 'in', scenarios).execute();
    expect(revisions).toHaveLength(scenarios.length);
  }, 60_000);

  it('gives the queue the configured lease as its message expiry', async () => {
    const { rows } = await sql<{ expire_seconds: number }>`select expire_seconds from pgboss.queue where name = 'scenarist-jobs'`.execute(store.db);
    expect(rows).toEqual([{ expire_seconds: 2 }]); // SCENARIST_LEASE_MS=1500, in whole seconds
  });

  it('runs a job whose dispatch never happened, from the job row alone', async () => {
    const [a] = apis as [string];
    const personality = (await call(a, 'GET', 'personalities/')).body[0].id;
    const agent = (await call(a, 'POST', 'aiagents/', { project: projectId, agent_name: 'Undispatched' })).body;
    const scenario = (await call(a, 'POST', 'scenarios/', { name: 'Quiet', agent: agent.id, personality })).body;
    // Commit the job exactly as the API does, but send nothing to the queue: as if the send failed.
    const keyId = (await store.db.selectFrom('api_keys').select('id').where('organization_id', '=', organizationId).executeTakeFirstOrThrow()).id;
    const body = ScenarioAgentBody.parse({ scenarios: [scenario.id], project_id: projectId, user_message: 'add DTMF' });
    const job = await submitScenarioAgent(store.db, loadConfig({ DATABASE_URL: database.url }), { organizationId, keyId }, body, new Date().toISOString());
    expect(await finalState(a, job.progress_id)).toMatchObject({ status: 'completed', result: { success: true } });
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where data->>'progressId' = ${job.progress_id}`.execute(store.db);
    expect(rows).toEqual([{ n: 0 }]);
    // Jobs that went through the API did travel through the queue.
    const { rows: sent } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = 'scenarist-jobs'`.execute(store.db);
    expect(sent[0]!.n).toBeGreaterThanOrEqual(JOBS);
  }, 30_000);

  it('of two applies through different APIs on one scenario, exactly one wins', async () => {
    const [a, b] = apis as [string, string];
    const personality = (await call(a, 'GET', 'personalities/')).body[0].id;
    const scenario = (await call(a, 'POST', 'scenarios/', { name: 'Contested', project: projectId, personality })).body;
    const apply = (api: string, name: string) =>
      call(api, 'POST', 'scenarios/scenario-agent/', {
        apply_changes: true,
        project_id: projectId,
        updated_scenarios: [{ id: scenario.id, based_on_revision: 1, name }],
      });
    const started = await Promise.all([apply(a, 'From A'), apply(b, 'From B')]);
    const finals = await Promise.all(started.map((s, i) => finalState(i ? b : a, s.body.progress_id)));
    expect(finals.map((f) => f.status)).toEqual(['completed', 'completed']);
    const won = finals.filter((f) => f.result.success);
    const lost = finals.filter((f) => !f.result.success);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].result.conflicts).toMatchObject([{ scenario_id: scenario.id, based_on_revision: 1 }]);
    const now = (await call(b, 'GET', `scenarios/${scenario.id}/`)).body;
    expect(now.name).toBe(won[0] === finals[0] ? 'From A' : 'From B');
    const revisions = await store.db
      .selectFrom('scenario_revisions')
      .select(['revision', 'change_type'])
      .where('scenario_id', '=', scenario.id)
      .orderBy('revision')
      .execute();
    expect(revisions).toEqual([
      { revision: 1, change_type: 'create' },
      { revision: 2, change_type: 'apply' },
    ]);
  }, 30_000);

  it('reports a lost database in /ready and carries on once it is back', async () => {
    const [a] = apis as [string];
    expect((await fetch(`${a}/ready`)).status).toBe(200);
    const name = new URL(database.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.SCENARIST_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      const down = await until('/ready to report the database', async () => {
        const res = await fetch(`${a}/ready`);
        return res.status === 503 && ((await res.json()) as { database: string });
      });
      expect(down.database).toMatch(/not currently accepting connections|terminat/);
      await sleep(1_000);
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    } finally {
      await admin.end();
    }
    await until('/ready to recover', async () => (await fetch(`${a}/ready`)).status === 200);
    // Every API and the surviving worker are still running, and jobs flow again.
    expect(procs.filter((p) => p.exitCode === null && p.signalCode === null)).toHaveLength(3);
    const personality = (await call(a, 'GET', 'personalities/')).body[0].id;
    const agent = (await call(a, 'POST', 'aiagents/', { project: projectId, agent_name: 'After' })).body;
    const scenario = (await call(a, 'POST', 'scenarios/', { name: 'After', agent: agent.id, personality })).body;
    const job = await call(a, 'POST', 'scenarios/scenario-agent/', { scenarios: [scenario.id], project_id: projectId, user_message: 'add DTMF' });
    expect(await finalState(apis[1]!, job.body.progress_id)).toMatchObject({ status: 'completed', result: { success: true } });
  }, 45_000);
});
