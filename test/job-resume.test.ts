import { afterEach, describe, expect, it } from 'vitest';
import { type KillMidJobRun, killMidJob } from './helpers/kill-mid-job.js';
import { pgEnabled } from './helpers/pg.js';

/**
 * A worker process killed with SIGKILL in the middle of an improve job, with the product's own
 * lease and heartbeat: the job is claimed again within 10 s (the bound; the bench measures
 * it precisely), resumes after the batches finished before the kill — none of them is sent to the
 * model again — and its progress never goes backwards.
 */
let run: KillMidJobRun | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

const SCENARIOS = 8;
const KILL_AFTER = 3;

function expectResumed(r: KillMidJobRun) {
  expect(r.final).toMatchObject({ status: 'completed', progress: { done: SCENARIOS, total: SCENARIOS } });
  expect(r.final.result.updated_scenarios).toHaveLength(SCENARIOS);
  for (const s of r.final.result.updated_scenarios) expect(s.tags).toEqual(['base', 'reviewed']);
  expect(r.row).toMatchObject({ status: 'completed', attempts: 2 });
  expect(r.assistantTurns).toBe(1);

  // The batches answered before the kill went to the model once; the one in flight went again.
  expect(r.finishedBeforeKill).toHaveLength(KILL_AFTER);
  for (const id of r.finishedBeforeKill) expect(r.sentToModel.get(id)).toBe(1);
  expect([...r.sentToModel.values()].reduce((a, b) => a + b, 0)).toBe(SCENARIOS + 1);
  // Their usage is counted once: the job's model calls are the answers it used.
  expect(r.final.usage.model_calls).toBe(SCENARIOS);

  expect(r.progressSeen[0]).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(r.progressSeen).toEqual([...r.progressSeen].sort((a, b) => a - b));
  expect(r.keptLeft).toBe(0);
  expect(r.pickUpMs).toBeLessThan(10_000);
}

describe('a worker killed mid-job', () => {
  it('on SQLite: the process started again claims the job within 10 s and resumes after its finished batches', async () => {
    run = await killMidJob({ pg: false, scenarios: SCENARIOS, killAfter: KILL_AFTER });
    expectResumed(run);
  }, 90_000);

  it.skipIf(!pgEnabled)(
    'on PostgreSQL: the other worker claims the job within 10 s and resumes after its finished batches',
    async () => {
      run = await killMidJob({ pg: true, scenarios: SCENARIOS, killAfter: KILL_AFTER });
      expectResumed(run);
    },
    90_000,
  );
});
