import type { ClarifyInput, ClarifyOutput, ImproveInput, ImproveOutput, ScenarioEngine } from '../engine.js';
import { draftScenarios } from './offline/drafts.js';
import { planImprovement } from './offline/planner.js';

/**
 * The built-in engine: deterministic rules for the requests people make most, no model, no
 * network. It says plainly what it cannot do, rather than guessing.
 */
export class OfflineEngine implements ScenarioEngine {
  readonly name = 'offline';
  // Planning is cheap and local: one batch carries thousands of scenarios.
  readonly batchSize = 5_000;
  readonly concurrency = 1;

  async improve(input: ImproveInput): Promise<ImproveOutput> {
    input.signal.throwIfAborted();
    const plan = planImprovement(input.userMessage, input.scenarios, input.context);
    return { message: plan.message, changes: plan.changes, unsupported: plan.unsupported };
  }

  async clarify(input: ClarifyInput): Promise<ClarifyOutput> {
    input.signal.throwIfAborted();
    return draftScenarios({
      userMessage: input.userMessage,
      numScenarios: input.numScenarios,
      agent: input.context.agent,
      knowledgeBase: input.context.knowledgeBase,
      personalities: input.context.personalities,
      answers: input.answers,
    });
  }
}
