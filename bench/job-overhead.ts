import { InstantEngine } from './engines/instant-engine.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { runJob } from './lib/jobs.js';
import { measure } from './lib/measure.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Improve jobs of growing size with an engine that answers at once: what remains is the cost of
 * the job itself (load, batch, progress, validate, store the result, poll), per scenario. CPU is
 * the whole process's: API, worker and the polling client, and on SQLite the database too.
 */
export const jobOverhead: Benchmark = {
  name: 'job-overhead',
  describe: 'improve 1…10,000 scenarios end to end with an instant engine',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const sizes = ctx.quick ? [1, 10, 100, 1_000] : [1, 100, 1_000, 10_000];
    const engine = new InstantEngine();
    const server = await startBenchServer(ctx, { engine });
    try {
      const runs: Array<{ n: number; wallMs: number; userMs: number; systemMs: number; suggestions: number }> = [];
      // A small job first, so the first timed one does not pay for warming up.
      const warm = await seedScenarios(server.running.store.db, server.defaultProjectId, 10);
      await runJob(server.api, { scenarios: 'all', agent_id: warm.agentId, user_message: 'Add the DTMF tool' });
      for (const n of sizes) {
        // Each size has an agent of its own, so "all" selects exactly n scenarios.
        const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, n);
        const m = await measure(() => runJob(server.api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' }));
        const suggestions = (m.value.result.updated_scenarios as unknown[]).length;
        if (suggestions !== n) throw new Error(`expected ${n} suggestions, got ${suggestions}`);
        runs.push({ n, wallMs: m.wallMs, userMs: m.userMs, systemMs: m.systemMs, suggestions });
      }
      const largest = runs.at(-1)!;
      const previous = runs.at(-2)!;
      const per = (r: (typeof runs)[number], k: 'wallMs' | 'userMs' | 'systemMs') => r[k] / r.n;
      const rows = runs.map((r, i) =>
        figure(
          {
            benchmark: `job overhead: ${fmt(r.n)} scenario(s), wall per scenario`,
            figure: per(r, 'wallMs'),
            unit: 'ms',
            reference: i > 0 ? { label: `per scenario at ${fmt(runs[i - 1]!.n)}`, value: per(runs[i - 1]!, 'wallMs'), unit: 'ms' } : null,
            target: r === largest ? 'ratio ≤ 2 (linear)' : '',
            note: `${Math.round(r.wallMs)} ms in all`,
            details: { scenarios: r.n, wall_ms: r.wallMs, user_ms: r.userMs, system_ms: r.systemMs, model_calls: Math.ceil(r.n / engine.batchSize) },
          },
          r === largest ? (f) => f.ratio! <= 2 : undefined,
        ),
      );
      rows.push(
        figure(
          {
            benchmark: `job overhead: ${fmt(largest.n)} scenarios, system CPU per scenario`,
            figure: per(largest, 'systemMs'),
            unit: 'ms',
            reference: { label: `per scenario at ${fmt(previous.n)}`, value: per(previous, 'systemMs'), unit: 'ms' },
            target: '< 1 ms',
            details: { user_ms_per_scenario: per(largest, 'userMs') },
          },
          (f) => f.figure < 1,
        ),
        figure({
          benchmark: `job overhead: ${fmt(largest.n)} scenarios, user CPU per scenario`,
          figure: per(largest, 'userMs'),
          unit: 'ms',
          reference: { label: `per scenario at ${fmt(previous.n)}`, value: per(previous, 'userMs'), unit: 'ms' },
          target: '',
        }),
      );
      return rows;
    } finally {
      await server.stop();
    }
  },
};
