import type { ClarifyInput, ClarifyOutput, ImproveInput, ImproveOutput, InstructionsOutput, PlannerScenario, ScenarioEngine } from '../../src/agent/engine.js';
import type { Suggestion } from '../../src/domain/suggestion.js';

/** The change every benchmark engine proposes: add the DTMF tool and a tag, as a user asks often. */
export function trivialChange(s: PlannerScenario): Suggestion {
  return {
    scenario_id: s.id,
    based_on_revision: s.revision,
    changes: [
      { field: 'tool_ids', value: [...new Set([...s.tool_ids, 'TOOL_DTMF'])] },
      { field: 'tags', value: [...new Set([...s.tags, 'reviewed'])] },
    ],
    notes: [],
  };
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
      suggestions: input.scenarios.map(trivialChange),
      notDone: [],
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
