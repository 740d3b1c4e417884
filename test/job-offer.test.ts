import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/domain/clock.js';
import { JobRunner } from '../src/jobs/runner.js';
import { jobHandlers } from '../src/services/job-handlers.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { ScriptedEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * How a worker answers a job a dispatcher delivers: it takes the job when it has room, refuses it
 * when full or stopping (so the message can go to another worker), and does nothing for a job that
 * is no longer waiting.
 */
let s: TestServer;
let runner: JobRunner;
let scenarioId: number;
const engine = new ScriptedEngine(10, 1);
const env = { SCENARIST_WORKER_CONCURRENCY: '1', SCENARIST_LEASE_MS: '600', SCENARIST_HEARTBEAT_MS: '100' };

beforeAll(async () => {
  // No runner in the server: only offers start jobs here.
  s = await startTestServer(env, { engine, worker: false });
  const config = loadConfig({ SCENARIST_DATA_DIR: s.dataDir, ...env });
  runner = new JobRunner({ store: s.running.store, config, clock: systemClock, engine, handlers: jobHandlers, log: pino({ level: 'silent' }) });
  const agent = await insertAgent(s.running.store.db, s.defaultProjectId);
  const personality = await personalityIdFromStore(s.running.store.db);
  scenarioId = (await createScenario(s.api, { name: 'Offered', agent, personality })).id;
});
afterAll(async () => s?.stop());

const leaseOwner = async (progressId: string) =>
  (await s.running.store.db.selectFrom('jobs').select('lease_owner').where('progress_id', '=', progressId).executeTakeFirstOrThrow()).lease_owner;

describe('offering a dispatched job to a runner', () => {
  it('takes it when there is room, refuses while full, ignores a job already held, and refuses once stopping', async () => {
    const slow = await startJob(s.api, { scenarios: [scenarioId], user_message: 'slow' });
    await runner.offer(slow.progress_id);
    expect(await leaseOwner(slow.progress_id)).toBe(runner.owner);

    const next = await startJob(s.api, { scenarios: [scenarioId], user_message: 'quick' });
    await expect(runner.offer(next.progress_id)).rejects.toThrow('worker is full');
    expect(await leaseOwner(next.progress_id)).toBeNull();

    // Cancelling the slow job frees the slot; the refused job is taken on the next offer.
    expect((await s.api('POST', `scenarios/cancel-agent/`, { progress_id: slow.progress_id })).status).toBeLessThan(300);
    await expect
      .poll(async () => {
        try {
          await runner.offer(next.progress_id);
          return true;
        } catch {
          return false;
        }
      })
      .toBe(true);
    expect(await waitForJob(s.api, next.progress_id)).toMatchObject({ status: 'completed' });
    // Finished: a repeated delivery is no refusal and runs nothing again.
    const calls = engine.calls.length;
    await runner.offer(next.progress_id);
    expect(engine.calls.length).toBe(calls);

    await runner.stop();
    const late = await startJob(s.api, { scenarios: [scenarioId], user_message: 'quick' });
    await expect(runner.offer(late.progress_id)).rejects.toThrow('worker is stopping');
    expect(await leaseOwner(late.progress_id)).toBeNull();
  });
});
