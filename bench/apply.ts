import { sql } from 'kysely';
import type { Db } from '../src/store/db.js';
import { InstantEngine } from './engines/instant-engine.js';
import { figure, type Benchmark, type BenchContext, type Figure } from './lib/figures.js';
import { runJob } from './lib/jobs.js';
import { MB, measure, settle } from './lib/measure.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

class RollBack extends Error {}

/**
 * The floor for an apply: one conditional UPDATE per suggestion and their revision rows a hundred
 * to an INSERT, in one transaction, with no checks at all. Rolled back, so the real apply finds
 * the scenarios unchanged.
 */
async function bareWrites(db: Db, organizationId: number, items: Array<{ id: number; based_on_revision: number; tool_ids: string[]; tags: string[] }>): Promise<number> {
  const start = performance.now();
  let elapsed = 0;
  await db
    .transaction()
    .execute(async (tx) => {
      const now = new Date().toISOString();
      const revisions = [];
      for (const it of items) {
        await tx
          .updateTable('scenarios')
          .set({ tool_ids: JSON.stringify(it.tool_ids), tags: JSON.stringify(it.tags), revision: sql`revision + 1`, updated_at: now })
          .where('id', '=', it.id)
          .where('revision', '=', it.based_on_revision)
          .execute();
        revisions.push({
          organization_id: organizationId,
          scenario_id: it.id,
          revision: it.based_on_revision + 1,
          change_type: 'apply',
          changed_fields: JSON.stringify({ tool_ids: { new: it.tool_ids }, tags: { new: it.tags } }),
          snapshot: '{}',
          actor_key_id: null,
          actor: 'bench',
          reason: '',
          created_at: now,
        });
      }
      for (let i = 0; i < revisions.length; i += 100) await tx.insertInto('scenario_revisions').values(revisions.slice(i, i + 100)).execute();
      elapsed = performance.now() - start;
      throw new RollBack();
    })
    .catch((e) => {
      if (!(e instanceof RollBack)) throw e;
    });
  return elapsed;
}

/** 10,000 suggestions from a real improve job, sent back in one apply call. */
export const apply: Benchmark = {
  name: 'apply',
  describe: 'apply 10,000 suggested changes in one call: wall time and peak memory',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const n = ctx.quick ? 1_000 : 10_000;
    // On the default settings: an apply of 10,000 suggestions (several MB) must need no tuning.
    const server = await startBenchServer(ctx, { engine: new InstantEngine() });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, n);
      const improved = await runJob(server.api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' });
      const suggestions = improved.result.updated_scenarios;
      if (suggestions.length !== n) throw new Error(`expected ${n} suggestions, got ${suggestions.length}`);
      const body = { apply_changes: true, session_id: improved.session_id, updated_scenarios: suggestions };
      const bodyBytes = JSON.stringify(body).length;

      const { organization_id } = await server.running.store.db.selectFrom('projects').select('organization_id').where('id', '=', server.defaultProjectId).executeTakeFirstOrThrow();
      const floorMs = await bareWrites(server.running.store.db, organization_id, suggestions);
      settle();
      const m = await measure(() => runJob(server.api, body, { intervalMs: 10 }), { sampleRssMs: 5 });
      const applied = (m.value.result.applied_scenario_ids as number[]).length;
      if (applied !== n) throw new Error(`expected ${n} scenarios applied, got ${applied}`);

      const sqlite = !ctx.pg;
      const peakMb = (m.rssPeak - m.rssBefore) / MB;
      const details = {
        changes: n,
        wall_ms: m.wallMs,
        floor_ms: floorMs,
        request_bytes: bodyBytes,
        rss_before_mb: m.rssBefore / MB,
        rss_peak_mb: m.rssPeak / MB,
        user_ms: m.userMs,
        system_ms: m.systemMs,
      };
      return [
        figure(
          {
            benchmark: `apply: ${n.toLocaleString('en-US')} changes, wall time`,
            figure: m.wallMs,
            unit: 'ms',
            reference: { label: 'bare UPDATEs + revision INSERTs', value: floorMs, unit: 'ms' },
            target: sqlite ? '< 2,000 ms' : '(< 2,000 ms on SQLite)',
            details,
          },
          sqlite ? (f) => f.figure < 2_000 : undefined,
        ),
        figure(
          {
            benchmark: `apply: ${n.toLocaleString('en-US')} changes, peak RSS growth`,
            figure: peakMb,
            unit: 'MB',
            reference: { label: 'request body', value: bodyBytes / MB, unit: 'MB' },
            target: sqlite ? '< 300 MB' : '(< 300 MB on SQLite)',
            note: `process peak ${Math.round(m.rssPeak / MB)} MB`,
          },
          sqlite ? (f) => f.figure < 300 : undefined,
        ),
      ];
    } finally {
      await server.stop();
    }
  },
};
