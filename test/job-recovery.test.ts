import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Running, startServer } from '../src/server.js';

/**
 * A worker killed with SIGKILL mid-job: once its lease expires, the next process takes the job up
 * and finishes it exactly once — or fails it with a reason when it is out of attempts.
 */
const dirs: string[] = [];
let restarted: Running | undefined;
afterEach(async () => {
  await restarted?.stop();
  restarted = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const env = (dir: string, extra: Record<string, string> = {}) => ({
  SCENARIST_DATA_DIR: dir,
  SCENARIST_PORT: '0',
  SCENARIST_LOG_LEVEL: 'silent',
  SCENARIST_LEASE_MS: '1000',
  SCENARIST_HEARTBEAT_MS: '200',
  ...extra,
});

/** Which job is in flight: a scenario-agent improve, or an instructions job for the same scenario. */
type Kind = 'agent' | 'instructions';
const PROGRESS: Record<Kind, string> = { agent: 'scenario-agent-progress', instructions: 'instructions-progress' };

async function killedMidJob(extra: Record<string, string> = {}, kind: Kind = 'agent') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-recovery-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/hanging-server.ts')], {
    env: { ...process.env, ...env(dir, extra) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const first = await new Promise<{ url: string; key: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${first.url}/test_framework/v1/${url}`, {
      method,
      headers: { 'X-CEKURA-API-KEY': first.key, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json() as Promise<any>;
  };
  const personality = (await call('GET', 'personalities/'))[0].id;
  const agent = await call('POST', 'aiagents/', { project: 1, agent_name: 'Bot' });
  const scenario = await call('POST', 'scenarios/', { name: 'Survivor', agent: agent.id, personality });
  const job =
    kind === 'agent'
      ? await call('POST', 'scenarios/scenario-agent/', { scenarios: [scenario.id], project_id: 1, user_message: 'add DTMF' })
      : await call('POST', `scenarios/${scenario.id}/improve_instructions/`, { user_message: 'more detailed instructions' });
  // Wait until the doomed worker holds the job, then kill it without any chance to clean up.
  for (let i = 0; i < 100; i++) {
    const row = await call('GET', `scenarios/${PROGRESS[kind]}/?progress_id=${job.progress_id}`);
    if (row.progress.total > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  restarted = await startServer(loadConfig(env(dir, extra)), { logger: false });
  const poll = async () => {
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${restarted!.url}/test_framework/v1/scenarios/${PROGRESS[kind]}/?progress_id=${job.progress_id}`, {
        headers: { 'X-CEKURA-API-KEY': first.key },
      });
      const body = (await res.json()) as any;
      if (body.status !== 'in_progress') return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job never left in_progress');
  };
  return { final: await poll(), job, restarted };
}

describe('a worker killed mid-job', () => {
  it('is taken over after its lease expires and finishes exactly once', async () => {
    const { final, job, restarted: r } = await killedMidJob();
    expect(final.status).toBe('completed');
    expect(final.result.updated_scenarios[0].tool_ids).toEqual(['TOOL_DTMF']);
    const row = await r.store.db.selectFrom('jobs').selectAll().where('progress_id', '=', job.progress_id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(2);
    const turns = await r.store.db.selectFrom('session_messages').select('role').where('session_id', '=', job.session_id).execute();
    expect(turns.map((t) => t.role)).toEqual(['user', 'assistant']);
  }, 30_000);

  it('running an instructions job is taken over too, and its instructions are there to apply', async () => {
    const { final, job, restarted: r } = await killedMidJob({}, 'instructions');
    expect(final).toMatchObject({ status: 'completed', name: 'Survivor', instructions: expect.stringContaining('## Goal\nSurvivor') });
    const row = await r.store.db.selectFrom('jobs').selectAll().where('progress_id', '=', job.progress_id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(2);
  }, 30_000);

  it('is failed with a reason when it has no attempts left', async () => {
    const { final } = await killedMidJob({ SCENARIST_JOB_MAX_ATTEMPTS: '1' });
    expect(final).toMatchObject({ status: 'failed', error: expect.stringContaining('stopped') });
  }, 30_000);
});
