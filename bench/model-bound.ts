import { modelBoundEngine } from './engines/model-bound-engine.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { runJob } from './lib/jobs.js';
import { measure } from './lib/measure.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

/**
 * With model calls of fixed latency, an improve job should take little more than the calls
 * themselves: ⌈calls ÷ concurrency⌉ rounds of the delay. The engine is the AI SDK one over a mock
 * model, so prompt rendering, the call policy and output parsing are all inside the time.
 */
export const modelBound: Benchmark = {
  name: 'model-bound',
  describe: 'improve 1,000 scenarios with model calls of fixed latency, vs the ideal',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const n = 1_000;
    const delayMs = ctx.quick ? 100 : 500;
    const { engine, calls: received } = modelBoundEngine({ delayMs });
    const opts = { delayMs, batchSize: engine.batchSize, concurrency: engine.concurrency };
    const server = await startBenchServer(ctx, { engine });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, n);
      const m = await measure(() => runJob(server.api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' }));
      const calls = received.length;
      const idealMs = Math.ceil(calls / opts.concurrency) * opts.delayMs;
      return [
        figure(
          {
            benchmark: `model-bound: ${n.toLocaleString('en-US')} scenarios, ${opts.delayMs} ms calls (${engine.name} engine)`,
            figure: m.wallMs,
            unit: 'ms',
            reference: { label: `ideal: ⌈${calls} calls ÷ ${opts.concurrency}⌉ × ${opts.delayMs} ms`, value: idealMs, unit: 'ms' },
            target: 'ratio ≤ 1.2',
            details: { scenarios: n, calls, ...opts, wall_ms: m.wallMs, ideal_ms: idealMs, engine: engine.name },
          },
          (f) => f.ratio! <= 1.2,
        ),
      ];
    } finally {
      await server.stop();
    }
  },
};
