import type {
  ClarifyInput,
  ClarifyOutput,
  ImproveInput,
  ImproveOutput,
  InstructionsOutput,
  PlannedChange,
  PlannerScenario,
  ScenarioEngine,
} from '../../src/agent/engine.js';

/** The change every benchmark engine proposes: add the DTMF tool and a tag, as a user asks often. */
export function trivialChange(s: PlannerScenario): PlannedChange {
  return { scenarioId: s.id, fields: { tool_ids: [...new Set([...s.tool_ids, 'TOOL_DTMF'])], tags: [...new Set([...s.tags, 'reviewed'])] } };
}

/**
 * An engine that answers at once with one trivial change per scenario, so what is timed is the job
 * machinery alone: loading, batching, progress, validation and the result. Batches are sized as a
 * model engine's would be.
 */
export class InstantEngine implements ScenarioEngine {
  readonly name: string = 'instant';
  calls = 0;
  constructor(
    readonly batchSize = 20,
    readonly concurrency = 4,
  ) {}

  async improve(input: ImproveInput): Promise<ImproveOutput> {
    this.calls++;
    input.signal.throwIfAborted();
    return {
      message: `Added the DTMF tool to ${input.scenarios.length} scenario(s).`,
      changes: input.scenarios.map(trivialChange),
      usage: { model_calls: 1 },
    };
  }

  async clarify(_input: ClarifyInput): Promise<ClarifyOutput> {
    throw new Error('the benchmarks do not draft scenarios');
  }

  async instructions(): Promise<InstructionsOutput> {
    throw new Error('the benchmarks do not write instructions');
  }
}
