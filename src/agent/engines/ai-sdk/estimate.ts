import { type CallEstimate, estimateTokens } from '../../../domain/cost.js';
import type { ClarifyInput, ImproveInput, InstructionsInput, InstructionsScenario, PlannerScenario } from '../../engine.js';
import { CLARIFY_KNOWLEDGE_CHARS, IMPROVE_KNOWLEDGE_CHARS, knowledgeWithinBudget } from './knowledge.js';
import { compactScenario, type RenderedPrompt, renderClarifyPrompt, renderImprovePrompt, renderInstructionsPrompt } from './prompts.js';
import { clarifySchema, improveSchema, instructionsSchema } from './schemas.js';

/** Drafts asked for in one clarify call. */
export const CLARIFY_ROUND = 10;
// What a model writes, per unit, measured on our prompts: a reply message, a changed scenario
// (about half its text is rewritten when instructions change), a drafted scenario, instructions.
const MESSAGE_TOKENS = 80;
const PER_DRAFT_TOKENS = 350;
const MIN_INSTRUCTIONS_TOKENS = 300;

/**
 * A call's input as the provider counts it: the system prompt, every message (the conversation's
 * earlier turns and the prompt, or a re-ask's whole exchange) and the output schema.
 */
export const inputTokens = (system: string, messages: ReadonlyArray<string>, schema: { jsonSchema: unknown }): number =>
  estimateTokens(system) + messages.reduce((n, m) => n + estimateTokens(m), 0) + estimateTokens(JSON.stringify(schema.jsonSchema));

const sent = (p: RenderedPrompt, schema: { jsonSchema: unknown }) => inputTokens(p.system, [...(p.history ?? []).map((t) => t.content), p.prompt], schema);

/** What one call is expected to write: a clarify round of `want` drafts, or one scenario's instructions. */
export const expectedOutput = {
  improve: (scenarios: ReadonlyArray<PlannerScenario>): number =>
    scenarios.reduce((n, s) => n + Math.ceil(estimateTokens(JSON.stringify(compactScenario(s))) / 2) + 20, MESSAGE_TOKENS),
  clarifyRound: (want: number): number => MESSAGE_TOKENS + want * PER_DRAFT_TOKENS,
  instructions(scenario: Pick<InstructionsScenario, 'instructions' | 'conditional_actions'>): number {
    const current = estimateTokens(scenario.instructions) + estimateTokens(JSON.stringify(scenario.conditional_actions ?? ''));
    return MESSAGE_TOKENS + Math.max(MIN_INSTRUCTIONS_TOKENS, current * 2);
  },
};

/**
 * The model calls the ai-sdk engine would make for a job, from the very prompts and schemas it
 * would send (so an estimate follows every prompt change); a re-ask after a bad answer is not
 * counted. Pure: nothing is sent.
 */
export const modelEstimates = {
  improve(input: Omit<ImproveInput, 'signal'>): CallEstimate {
    return {
      model_calls: 1,
      input_tokens: sent(renderImprovePrompt({ ...input, knowledgeChars: IMPROVE_KNOWLEDGE_CHARS }), improveSchema()),
      output_tokens: expectedOutput.improve(input.scenarios),
    };
  },
  clarify(input: Omit<ClarifyInput, 'signal'>, knowledgeChars = CLARIFY_KNOWLEDGE_CHARS): CallEstimate {
    const { chunks, omittedChars } = knowledgeWithinBudget(input.context.knowledgeBase, knowledgeChars);
    const schema = clarifySchema(input.context, [...new Set(chunks.map((c) => c.file_id))]);
    const total: CallEstimate = { model_calls: 0, input_tokens: 0, output_tokens: 0 };
    for (let drafted = 0; drafted < input.numScenarios; drafted += CLARIFY_ROUND) {
      const want = Math.min(CLARIFY_ROUND, input.numScenarios - drafted);
      const names = Array.from({ length: drafted }, (_, i) => `Drafted scenario ${i + 1}`);
      total.model_calls += 1;
      total.input_tokens += sent(renderClarifyPrompt({ ...input, numScenarios: want, knowledge: chunks, omittedChars, drafted: names }), schema);
      total.output_tokens += expectedOutput.clarifyRound(want);
    }
    return total;
  },
  instructions(input: Omit<InstructionsInput, 'signal'>): CallEstimate {
    const schema = instructionsSchema(input.scenario.scenario_type === 'conditional_actions');
    return { model_calls: 1, input_tokens: sent(renderInstructionsPrompt(input), schema), output_tokens: expectedOutput.instructions(input.scenario) };
  },
};
