import { emptyUsage } from '../../domain/jobs.js';
import type { ClarifyInput, ClarifyOutput, ImproveInput, ImproveOutput, InstructionsInput, InstructionsOutput, ScenarioEngine } from '../engine.js';
import { draftScenarios } from './offline/drafts.js';
import { buildConditionalActions, buildInstructions, improveInstructions, mergeConditionalActions } from './offline/instructions.js';
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
    const { message, suggestions, notDone } = planImprovement(input.userMessage, input.scenarios, input.context, input.selection);
    return { message, suggestions, notDone };
  }

  /**
   * Drafts are planned at once; each is reported as it is taken, like a model's rounds. Planning
   * is deterministic, so drafts kept from an earlier claim stand for the first ones it plans.
   */
  async clarify(input: ClarifyInput): Promise<ClarifyOutput> {
    input.signal.throwIfAborted();
    const out = draftScenarios({
      userMessage: input.userMessage,
      numScenarios: input.numScenarios,
      agent: input.context.agent,
      knowledgeBase: input.context.knowledgeBase,
      personalities: input.context.personalities,
      answers: input.answers,
      existing: input.context.existingScenarios,
    });
    const kept = (input.rounds ?? []).flatMap((r) => r.drafts);
    if (out.needsClarification && !kept.length) return out;
    const drafts = [...kept, ...out.drafts.slice(kept.length)];
    for (const draft of drafts.slice(kept.length)) {
      input.signal.throwIfAborted();
      await input.onRound?.({ drafts: [draft], message: out.message, notDone: out.notDone ?? [], usage: emptyUsage() });
    }
    return { ...out, needsClarification: false, questions: [], drafts };
  }

  async instructions(input: InstructionsInput): Promise<InstructionsOutput> {
    input.signal.throwIfAborted();
    const { scenario: s, context } = input;
    const personality = context.personalities.find((p) => p.id === s.personality);
    const ctx = { agent: context.agent, personality: personality && { name: personality.name, description: personality.description } };
    if (s.scenario_type === 'conditional_actions') return conditionalActionsFor(input, ctx);
    if (input.mode === 'improve') {
      const out = improveInstructions(s.instructions, input.userMessage, s, ctx);
      return { message: out.message, instructions: out.instructions, notDone: out.notDone };
    }
    // Extra guidance for a new set of instructions is kept as the user's own notes.
    const notes = [s.instructions.trim(), input.userMessage.trim()].filter(Boolean).join('\n');
    return {
      message: "Wrote structured instructions from the scenario's persona, goal, information fields, tools and expected outcome.",
      instructions: buildInstructions({ ...s, instructions: notes }, ctx),
    };
  }
}

/**
 * Conditional actions are edited in place: existing conditions are kept as they are and only what
 * the scenario's fields add is appended; a rewrite the request asks for is declined, not faked.
 */
function conditionalActionsFor(input: InstructionsInput, ctx: Parameters<typeof buildConditionalActions>[1]): InstructionsOutput {
  const s = input.scenario;
  const { actions, kept, added } = mergeConditionalActions(s.conditional_actions, buildConditionalActions(s, ctx));
  const request = input.userMessage.trim();
  const notDone = request
    ? [
        {
          part: request,
          reason:
            'The offline engine edits conditional actions in place only: it keeps every condition and adds those the information fields call for; rewriting them as asked needs a language model (SCENARIST_MODEL, see docs/models.md).',
        },
      ]
    : [];
  const what = !kept
    ? "Wrote conditional actions from the scenario's first message and information fields."
    : added
      ? `Kept the ${kept} existing condition(s) and added ${added} for information fields they did not cover.`
      : `Kept the ${kept} existing condition(s); the scenario's fields add nothing they do not already cover.`;
  return { message: what, conditionalActions: actions, notDone };
}
