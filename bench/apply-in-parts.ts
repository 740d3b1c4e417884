import type { UpdatedScenario } from '../src/domain/suggestion.js';
import { selectSuggestions } from '../src/domain/suggestion-review.js';
import { InstantEngine } from './engines/instant-engine.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { runJob } from './lib/jobs.js';
import { measure, settle } from './lib/measure.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

/**
 * One job's 10,000 suggestions applied in two parts, a field each: the second part finds every
 * scenario past the revision its suggestion was based on, and is told from a conflict by reading
 * what wrote each revision since. That check is set-wise, so the second apply costs about what the
 * first did.
 */
export const applyInParts: Benchmark = {
  name: 'apply-in-parts',
  describe: "apply 10,000 suggestions' tool_ids, then their tags: the second part (every scenario moved on by the first) vs the first",
  async run(ctx: BenchContext): Promise<Figure[]> {
    const n = ctx.quick ? 1_000 : 10_000;
    const server = await startBenchServer(ctx, { engine: new InstantEngine() });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, n);
      const improved = await runJob(server.api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' });
      const items = improved.result.updated_scenarios as UpdatedScenario[];
      if (items.length !== n) throw new Error(`expected ${n} suggestions, got ${items.length}`);
      const part = (field: string) =>
        JSON.stringify({
          apply_changes: true,
          session_id: improved.session_id,
          source_progress_id: improved.progress_id,
          updated_scenarios: selectSuggestions(items, { fields: [field] }),
        });
      const [tools, tags] = [part('tool_ids'), part('tags')];
      settle();
      const first = await measure(() => runJob(server.api, tools, { intervalMs: 10 }));
      settle();
      const second = await measure(() => runJob(server.api, tags, { intervalMs: 10 }));
      for (const m of [first, second]) {
        const applied = (m.value.result.applied_scenario_ids as number[]).length;
        if (applied !== n) throw new Error(`expected ${n} scenarios applied, got ${applied}: ${String(m.value.result.message)}`);
      }
      const count = n.toLocaleString('en-US');
      return [
        figure(
          {
            benchmark: `apply in parts: second part of ${count} changes, wall time`,
            figure: second.wallMs,
            unit: 'ms',
            reference: { label: 'the first part (no scenario moved on)', value: first.wallMs, unit: 'ms' },
            target: 'ratio ≤ 1.5',
            note: 'submit to final answer; every scenario of the second part was moved on by the first',
            details: { changes: n, first_ms: first.wallMs, second_ms: second.wallMs },
          },
          (f) => f.ratio! <= 1.5,
        ),
      ];
    } finally {
      await server.stop();
    }
  },
};
