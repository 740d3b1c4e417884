import type { ClarifyInput, ClarifyOutput, ImproveInput, ImproveOutput, InstructionsInput, InstructionsOutput, ScenarioEngine } from '../engine.js';
import { planImprovement } from './offline/planner.js';

/**
 * A model engine that spends nothing on requests the built-in planner fully understands: when
 * every part of an improve request is a structured edit the planner carries out (nothing left
 * over, nothing declined), the batch is answered by the planner with no model call, and its
 * output says so. Anything else — content requests, follow-ups, a qualifier the planner cannot
 * read — goes to the model unchanged. `SCENARIST_PLANNER_FIRST=false` turns this off.
 */
export class PlannerFirstEngine implements ScenarioEngine {
  readonly name: string;
  readonly batchSize: number;
  readonly concurrency: number;

  constructor(readonly model: ScenarioEngine) {
    this.name = model.name;
    this.batchSize = model.batchSize;
    this.concurrency = model.concurrency;
  }

  async improve(input: ImproveInput): Promise<ImproveOutput> {
    input.signal.throwIfAborted();
    const plan = planImprovement(input.userMessage, input.scenarios, input.context, input.selection);
    if (!plan.understood) return { ...(await this.model.improve(input)), answeredBy: 'model' };
    return { message: plan.message, suggestions: plan.suggestions, notDone: [], answeredBy: 'planner' };
  }

  clarify(input: ClarifyInput): Promise<ClarifyOutput> {
    return this.model.clarify(input);
  }

  instructions(input: InstructionsInput): Promise<InstructionsOutput> {
    return this.model.instructions(input);
  }
}
