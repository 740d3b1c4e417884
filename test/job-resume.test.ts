import { afterEach, describe, expect, it } from 'vitest';
import { type KillMidJobRun, killMidJob } from './helpers/kill-mid-job.js';
import { pgEnabled } from './helpers/pg.js';

/**
 * A worker process killed with SIGKILL in the middle of an improve job (and of a drafting job), with the product's own
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

const ROUNDS = 4;
const ROUNDS_BEFORE_KILL = 2;

function expectDraftingResumed(r: KillMidJobRun) {
  expect(r.final).toMatchObject({ status: 'completed', mode: 'clarify', progress: { done: ROUNDS * 10, total: ROUNDS * 10 } });
  const names = r.final.result.generated_scenarios.map((d: { name: string }) => d.name);
  expect(names).toEqual(Array.from({ length: ROUNDS * 10 }, (_, i) => `Billing situation ${i + 1}`));
  expect(r.row).toMatchObject({ status: 'completed', attempts: 2 });
  expect(r.assistantTurns).toBe(1);
  // The rounds answered before the kill went to the model once; only the one in flight went again.
  expect(r.finishedBeforeKill).toEqual([0, 1]);
  for (const round of r.finishedBeforeKill) expect(r.sentToModel.get(round)).toBe(1);
  expect(r.sentToModel.get(ROUNDS_BEFORE_KILL)).toBe(2);
  expect([...r.sentToModel.values()].reduce((a, b) => a + b, 0)).toBe(ROUNDS + 1);
  expect(r.final.usage.model_calls).toBe(ROUNDS);
  expect(r.progressSeen[0]).toBeGreaterThanOrEqual(ROUNDS_BEFORE_KILL * 10);
  expect(r.progressSeen).toEqual([...r.progressSeen].sort((a, b) => a - b));
  expect(r.keptLeft).toBe(0);
  expect(r.pickUpMs).toBeLessThan(10_000);
}

describe('a worker killed mid-drafting', () => {
  it('on SQLite: the job resumes after its finished rounds, none of them drafted twice', async () => {
    run = await killMidJob({ pg: false, kind: 'clarify', scenarios: ROUNDS, killAfter: ROUNDS_BEFORE_KILL });
    expectDraftingResumed(run);
  }, 90_000);

  it.skipIf(!pgEnabled)(
    'on PostgreSQL: the other worker resumes the job after its finished rounds, none of them drafted twice',
    async () => {
      run = await killMidJob({ pg: true, kind: 'clarify', scenarios: ROUNDS, killAfter: ROUNDS_BEFORE_KILL });
      expectDraftingResumed(run);
    },
    90_000,
  );
});
