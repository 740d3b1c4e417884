import type { PlannedChange, PlannerContext, PlannerScenario } from '../src/agent/engine.js';
import { chunk } from '../src/jobs/batches.js';
import { engineScenarios } from '../src/jobs/scenarios-for-engine.js';
import { loadProjectFacts } from '../src/store/agent-context.js';
import { loadScenarios } from '../src/store/scenarios.js';
import { figure, type Benchmark, type BenchContext, type Figure } from './lib/figures.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

/** What one model call of an improve batch sends and receives, as text, and the changes it yields. */
export interface ModelExchange {
  sent: string;
  received: string;
  changes: PlannedChange[];
}

/**
 * The one function to fill in once the model engine exists: render the prompt it would send for
 * this batch (its prompt renderer), and the reply a model would give for `userMessage` (the
 * engine's reply format over MockLanguageModelV3) with the changes parsed from it. Returns null
 * until then, and the rows read "pending" instead of showing figures nobody measured.
 */
export function modelExchange(_batch: PlannerScenario[], _userMessage: string, _context: PlannerContext): ModelExchange | null {
  return null;
}

const PENDING = 'pending: needs the model engine';

/**
 * Characters sent to the model per scenario, against the size of the scenario's own fields; and
 * characters received, against the size of the changes they carry.
 */
export const tokenEfficiency: Benchmark = {
  name: 'token-efficiency',
  describe: 'characters sent and received per scenario vs the scenario and its changes',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const n = ctx.quick ? 20 : 200;
    const batchSize = 20;
    const userMessage = 'Add the DTMF tool';
    const server = await startBenchServer(ctx, { worker: false });
    try {
      const db = server.running.store.db;
      const { agentId, ids } = await seedScenarios(db, server.defaultProjectId, n);
      const { organization_id } = await db.selectFrom('projects').select('organization_id').where('id', '=', server.defaultProjectId).executeTakeFirstOrThrow();
      const { scenarios } = await engineScenarios(db, organization_id, await loadScenarios(db, organization_id, ids));
      const context = await loadProjectFacts(db, organization_id, server.defaultProjectId, { agentId });
      const ownChars = scenarios.reduce((a, s) => a + JSON.stringify(s).length, 0);

      let sent = 0;
      let received = 0;
      let changeChars = 0;
      let pending = false;
      for (const batch of chunk(scenarios, batchSize)) {
        const x = modelExchange(batch, userMessage, context);
        if (!x) {
          pending = true;
          break;
        }
        sent += x.sent.length;
        received += x.received.length;
        changeChars += JSON.stringify(x.changes).length;
      }
      const own = { label: "the scenario's own fields", value: ownChars / n, unit: 'chars' };
      if (pending) {
        return [
          figure({ benchmark: 'tokens: sent per scenario', figure: null, unit: 'chars', reference: own, target: 'ratio < 1.5', note: PENDING }),
          figure({ benchmark: 'tokens: received per scenario', figure: null, unit: 'chars', reference: null, target: 'ratio < 2', note: PENDING }),
        ];
      }
      return [
        figure({ benchmark: 'tokens: sent per scenario', figure: sent / n, unit: 'chars', reference: own, target: 'ratio < 1.5' }, (f) => f.ratio! < 1.5),
        figure(
          { benchmark: 'tokens: received per scenario', figure: received / n, unit: 'chars', reference: { label: 'the changes', value: changeChars / n, unit: 'chars' }, target: 'ratio < 2' },
          (f) => f.ratio! < 2,
        ),
      ];
    } finally {
      await server.stop();
    }
  },
};
