import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClarifyInput, ClarifyOutput } from '../src/agent/engine.js';
import { callEstimator } from '../src/agent/engines/index.js';
import { OfflineEngine } from '../src/agent/engines/offline-engine.js';
import { loadConfig } from '../src/config.js';
import type { TokenUsage } from '../src/domain/jobs.js';
import type { Draft } from '../src/domain/suggestion.js';
import { budgetFor } from '../src/jobs/budget.js';
import { clarifyJob } from '../src/jobs/kinds/clarify.js';
import type { JobContext } from '../src/jobs/types.js';
import { keepBatch, keptBatches } from '../src/store/job-batches.js';
import { claimNext, type Lease, setProgress } from '../src/store/jobs.js';
import { createAgent } from './helpers/agent.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A clarify job keeps each round of drafts as it ends; a worker that claims the job after its first
 * one died reads them, asks the engine only for the rest, and counts what they cost once.
 */
let s: TestServer;
let agent: number;
beforeAll(async () => {
  // No worker: the test claims and runs the job as a worker would.
  s = await startTestServer({}, { worker: false });
  agent = await createAgent(s.api, s.defaultProjectId, 'Fees desk', 'Explains late fees and refunds for Acme Telecom.');
});
afterAll(async () => s?.stop());

const usageOf = (n: number): TokenUsage => ({ input_tokens: n, output_tokens: n, cached_input_tokens: 0, model_calls: n });

/**
 * The offline engine, recording what it was asked and spending a call per draft it makes; with
 * `dieAfter`, its worker dies after reporting that many drafts (nothing after is reported).
 */
class CountingEngine extends OfflineEngine {
  asked: ClarifyInput[] = [];
  constructor(readonly dieAfter = Number.POSITIVE_INFINITY) {
    super();
  }
  override async clarify(input: ClarifyInput): Promise<ClarifyOutput> {
    this.asked.push(input);
    const kept = input.drafted?.length ?? 0;
    const onProgress = async (drafts: Draft[]) => {
      if (drafts.length - kept > this.dieAfter) throw new Error('the worker died');
      await input.onProgress?.(drafts, usageOf(drafts.length - kept));
    };
    const out = await super.clarify({ ...input, onProgress });
    return { ...out, usage: usageOf(out.drafts.length - kept) };
  }
}

const config = loadConfig({ SCENARIST_DATA_DIR: '/tmp' });

/** Claims the job as a worker does, and the context its handler runs with. */
async function claim(owner: string, progressId: string, engine: CountingEngine): Promise<{ lease: Lease; ctx: JobContext }> {
  const { db } = s.running.store;
  const job = (await claimNext(db, owner, 60_000, new Date(), ['clarify'], progressId))!;
  const lease = { jobId: job.id, owner, attempt: job.attempts };
  const now = () => new Date().toISOString();
  const ctx: JobContext = {
    db,
    job,
    engine,
    budget: await budgetFor(db, config, job),
    estimator: callEstimator(config),
    signal: new AbortController().signal,
    now,
    keptBatches: () => keptBatches(db, job.id),
    progress: async (done, total, usage, finished) => {
      if (finished) await keepBatch(db, lease, finished, { done, total, usage: usage ?? finished.usage }, now());
      else await setProgress(db, lease, done, total, usage, now());
    },
  };
  return { lease, ctx };
}

describe('a clarify job claimed again', () => {
  it('carries on after the drafts its first worker kept, counting their cost once', async () => {
    const { db } = s.running.store;
    const start = await s.api('POST', 'scenarios/scenario-agent/', {
      agent_id: agent,
      user_message: 'Late fees; refunds; roaming; upgrades',
      num_scenarios: 4,
    });
    expect(start.status, JSON.stringify(start.body)).toBe(200);

    // The first worker drafts two, then dies: what it reported is kept with the job.
    const first = await claim('first', start.body.progress_id, new CountingEngine(2));
    await clarifyJob(first.ctx);
    const kept = await keptBatches(db, first.lease.jobId);
    expect(kept.map((b) => [b.key, b.units])).toEqual([
      ['drafts:0', 1],
      ['drafts:1', 1],
    ]);
    const keptNames = kept.flatMap((b) => (b.outcome as { drafts: Draft[] }).drafts.map((d) => d.scenario.name));
    // A poll meanwhile sees the job at two of four.
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${start.body.progress_id}`)).body).toMatchObject({
      status: 'in_progress',
      progress: { done: 2, total: 4 },
    });

    // Its lease runs out; the next worker claims the job (attempt 2) and finishes it.
    await db
      .updateTable('jobs')
      .set({ lease_expires_at: new Date(0).toISOString() })
      .where('id', '=', first.lease.jobId)
      .execute();
    const engine = new CountingEngine();
    const second = await claim('second', start.body.progress_id, engine);
    expect(second.lease.attempt).toBe(2);
    const outcome = await clarifyJob(second.ctx);

    expect(engine.asked[0]!.drafted!.map((d) => d.scenario.name)).toEqual(keptNames);
    expect(outcome.status).toBe('completed');
    const result = outcome.result as { generated_scenarios: Array<{ name: string }> };
    expect(result.generated_scenarios.map((d) => d.name).slice(0, 2)).toEqual(keptNames);
    expect(result.generated_scenarios).toHaveLength(4);
    // Two drafts paid for by the first worker, two by the second: four, each once.
    expect(outcome.usage).toMatchObject({ model_calls: 4, input_tokens: 4 });
    expect(outcome.progress).toEqual({ done: 4, total: 4 });
  });
});
