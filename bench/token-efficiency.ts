import type { PlannerContext, PlannerScenario } from '../src/agent/engine.js';
import type { Suggestion } from '../src/domain/suggestion.js';
import { chunk } from '../src/jobs/batches.js';
import { engineScenarios } from '../src/jobs/scenarios-for-engine.js';
import { loadProjectFacts } from '../src/store/agent-context.js';
import { loadScenarios } from '../src/store/scenarios.js';
import { modelBoundEngine } from './engines/model-bound-engine.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

/** What the model calls of one improve batch sent and received, as text, and the changes they yielded. */
export interface ModelExchange {
  /** System prompt and messages of every call. */
  sent: string;
  /** The structured-output schema every call carried. */
  schema: string;
  received: string;
  calls: number;
  suggestions: Suggestion[];
}

type Engine = ReturnType<typeof modelBoundEngine>;

/** One batch through the real engine over the mock model, with what crossed the wire to it. */
export async function modelExchange(
  model: Engine,
  batch: PlannerScenario[],
  userMessage: string,
  context: PlannerContext,
  selection: PlannerScenario[] = batch,
): Promise<ModelExchange> {
  const before = model.calls.length;
  const out = await model.engine.improve({ userMessage, history: [], scenarios: batch, selection, context, signal: new AbortController().signal });
  const calls = model.calls.slice(before);
  return {
    sent: calls.map((c) => c.sent).join(''),
    schema: calls.map((c) => c.schema).join(''),
    received: calls.map((c) => c.received).join(''),
    calls: calls.length,
    suggestions: out.suggestions,
  };
}

/** How many characters every text starts with alike. */
export function commonPrefixLength(texts: string[]): number {
  if (!texts.length) return 0;
  let n = 0;
  const [first, ...rest] = texts;
  while (n < first!.length && rest.every((t) => t[n] === first![n])) n++;
  return n;
}

const isEmpty = (v: unknown) => v === null || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && v !== null && !Object.keys(v).length);

/** The scenario's own fields: the JSON of those that hold something. */
const ownFields = (s: PlannerScenario) => JSON.stringify(Object.fromEntries(Object.entries(s).filter(([, v]) => !isEmpty(v))));

/**
 * Characters sent to the model per scenario (system prompt, project facts and output schema
 * amortised over the batch), against the size of the scenario's own fields; how much of what is
 * sent is the prefix every call of the job shares byte for byte (what a provider's prompt cache
 * serves); and characters received, against the size of the changes they carry. The model answers
 * a typical request: a tool and a tag for each scenario.
 */
export const tokenEfficiency: Benchmark = {
  name: 'token-efficiency',
  describe: 'characters sent and received per scenario vs the scenario and its changes',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const n = ctx.quick ? 20 : 200;
    const userMessage = 'Add the DTMF tool and tag them "reviewed"';
    const server = await startBenchServer(ctx, { worker: false });
    try {
      const db = server.running.store.db;
      const { agentId, ids } = await seedScenarios(db, server.defaultProjectId, n);
      const { organization_id } = await db.selectFrom('projects').select('organization_id').where('id', '=', server.defaultProjectId).executeTakeFirstOrThrow();
      const { scenarios } = await engineScenarios(db, organization_id, await loadScenarios(db, organization_id, ids));
      const context = await loadProjectFacts(db, organization_id, server.defaultProjectId, { agentId });
      const ownChars = scenarios.reduce((a, s) => a + ownFields(s).length, 0);

      const model = modelBoundEngine({ delayMs: 0 });
      const total = { sent: 0, schema: 0, received: 0, calls: 0, changeChars: 0, changes: 0 };
      for (const batch of chunk(scenarios, model.engine.batchSize)) {
        const x = await modelExchange(model, batch, userMessage, context, scenarios);
        total.sent += x.sent.length;
        total.schema += x.schema.length;
        total.received += x.received.length;
        total.calls += x.calls;
        total.changes += x.suggestions.length;
        total.changeChars += JSON.stringify(
          x.suggestions.map((s) => ({ scenario_id: s.scenario_id, fields: Object.fromEntries(s.changes.map((c) => [c.field, c.value])) })),
        ).length;
      }
      // The output schema travels with every call and is read by the model like the prompt, so it counts as sent.
      const sent = total.sent + total.schema;
      // What every call of the job sends alike from its start, in the order providers read it (the
      // schema before the messages): the part a prompt cache can serve, measured on the bytes sent.
      const prefix = commonPrefixLength(model.calls.map((c) => c.schema + c.sent));
      const details = {
        scenarios: n,
        batch_size: model.engine.batchSize,
        ...total,
        prompt_per_scenario: total.sent / n,
        schema_per_scenario: total.schema / n,
        shared_prefix_per_call: prefix,
        // With the first call writing the cache and every later one reading it.
        read_from_cache_share: (prefix * (total.calls - 1)) / sent,
      };
      return [
        figure(
          {
            benchmark: 'tokens: sent per scenario',
            figure: sent / n,
            unit: 'chars',
            reference: { label: "the scenario's own fields", value: ownChars / n, unit: 'chars' },
            target: 'ratio < 1.5',
            details,
          },
          (f) => f.ratio! < 1.5,
        ),
        figure(
          {
            benchmark: 'tokens: cacheable share of what is sent',
            figure: prefix * total.calls,
            unit: 'chars',
            reference: { label: 'all sent for the job', value: sent, unit: 'chars' },
            target: 'ratio ≥ 0.4',
            details,
          },
          (f) => f.ratio! >= 0.4,
        ),
        figure(
          {
            benchmark: 'tokens: received per scenario',
            figure: total.received / n,
            unit: 'chars',
            reference: { label: 'the changes', value: total.changeChars / n, unit: 'chars' },
            target: 'ratio < 2',
            details,
          },
          (f) => f.ratio! < 2,
        ),
      ];
    } finally {
      await server.stop();
    }
  },
};
