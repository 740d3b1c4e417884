import { z } from 'zod';
import { type JobCaps, jobCostFields } from './cost.js';
import { ConditionalActionsSchema, type FieldChanges, type ScenarioField, type ScenarioFields, ScenarioPatch, sameValue } from './scenario.js';
import type { InstructionsChange } from './suggestion.js';

const id = () => z.number().int().positive().max(2_147_483_647);
const request = (what: string) => z.string().max(20_000).describe(what);

/**
 * The body of POST scenarios/generate-instructions/: a scenario payload, checked as a scenario
 * write is, plus the guidance for the new instructions. Naming an existing scenario (`scenario`,
 * or its aliases `scenario_id` and `id`) bases the job on it; the other fields override its values.
 */
export const GenerateInstructionsBody = ScenarioPatch.extend({
  agent_id: id().nullable().optional().describe('Alternative name for agent'),
  extra_instructions: request('What the instructions should cover, in plain language').default(''),
  scenario: id().nullable().optional().describe('An existing scenario to base the instructions on'),
  scenario_id: id().nullable().optional().describe('Alias of scenario'),
  id: id().optional().describe('Alias of scenario (the id of a Scenario object sent back)'),
  ...jobCostFields,
});
export type GenerateInstructionsBody = z.infer<typeof GenerateInstructionsBody>;

/** The reference's ScenarioInstructionsRequest (POST scenarios/improve_instructions/). */
export const ImproveInstructionsBody = z.strictObject({
  agent: id().describe('Agent ID'),
  extra_instructions: request('How to improve (or what to write when there are no current instructions)').trim().min(1),
  current_instructions: z.string().max(100_000).optional().describe('The instructions to improve'),
  ...jobCostFields,
});
export type ImproveInstructionsBody = z.infer<typeof ImproveInstructionsBody>;

/** The body of POST scenarios/{id}/improve_instructions/: what to change, under either name. */
export const ScenarioImproveInstructionsBody = z.strictObject({
  user_message: request('What to change in the instructions').optional(),
  extra_instructions: request('Same as user_message').optional(),
  ...jobCostFields,
});

export const ApplyInstructionsBody = z.strictObject({
  progress_id: z.string().min(1).max(100).describe('The instructions job to apply'),
  scenario: id().optional().describe('Confirms the target when the job was made from an unsaved scenario payload; must equal the id in the path'),
});

export const InstructionsStart = z.object({
  progress_id: z.string().describe('Poll it at instructions-progress/?progress_id='),
  project_id: z.number().int(),
});

/** A scenario's content before its name and personality are known (a payload for a new scenario). */
export type DraftFields = Omit<ScenarioFields, 'name' | 'personality'> & { name: string; personality: number | null };

/** What an instructions job needs, resolved and checked at submit time. */
export interface InstructionsJobRequest {
  mode: 'generate' | 'improve';
  user_message: string;
  project_id: number;
  agent_id: number | null;
  /** The existing scenario the job is based on, and its revision then; null for an unsaved payload. */
  scenario_id: number | null;
  based_on_revision: number | null;
  /** The scenario as the job saw it: stored values with the payload's overrides. */
  fields: DraftFields;
  /** Values the payload set that differ from the stored scenario: the preview shows them, and apply writes them too. */
  basis_changes: FieldChanges;
  /** The stored row's identity and times, so the preview reads as that scenario. */
  /** The caps the request set (max_tokens, max_cost). */
  budget?: JobCaps;
  meta: { created_by: number | null; last_updated_by: number | null; created_at: string; updated_at: string; dynamic_variable_values: string | null } | null;
}

/** Conditional actions may come as JSON text in `instructions`, as the reference lets clients send them. */
function jsonOrUndefined(text: string | undefined): unknown {
  if (!text?.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The change an engine's answer makes to a scenario: new instructions (clearing conditional
 * actions), or new conditional actions (clearing the plain-text instructions, since a scenario has
 * one or the other). An expected outcome is proposed only where the scenario had none.
 * Returns the problems instead when the answer does not fit the scenario's type.
 */
export function instructionsChange(
  fields: Pick<ScenarioFields, 'scenario_type' | 'expected_outcome_prompt'>,
  out: { instructions?: string; conditionalActions?: unknown; expectedOutcomePrompt?: string },
): { change: InstructionsChange } | { problem: string } {
  const wantsActions = fields.scenario_type === 'conditional_actions';
  let change: InstructionsChange;
  if (wantsActions) {
    const parsed = ConditionalActionsSchema.safeParse(out.conditionalActions ?? jsonOrUndefined(out.instructions));
    if (!parsed.success) return { problem: `the engine returned no valid conditional actions (${parsed.error.issues[0]?.message ?? 'missing'})` };
    const bad = parsed.data.conditions.findIndex((c, i) => c.id !== i);
    if (bad >= 0) return { problem: `the engine's conditional actions are not numbered from 0 (condition ${bad})` };
    change = { instructions: '', conditional_actions: parsed.data };
  } else {
    const text = typeof out.instructions === 'string' ? out.instructions.trim() : '';
    if (!text) return { problem: 'the engine returned no instructions' };
    if (text.length > 100_000) return { problem: 'the engine returned instructions longer than 100000 characters' };
    change = { instructions: text, conditional_actions: null };
  }
  const outcome = out.expectedOutcomePrompt?.trim();
  if (outcome && !fields.expected_outcome_prompt.trim() && outcome.length <= 100_000) change.expected_outcome_prompt = outcome;
  return { change };
}

/**
 * Everything applying a job changes on the stored scenario: the payload's own changes to it, then
 * the engine's. A field the engine set back to its stored value is no change at all.
 */
export function proposedChanges(basis: FieldChanges, fields: Partial<ScenarioFields>, change: InstructionsChange): FieldChanges {
  const out: FieldChanges = { ...basis };
  for (const [field, value] of Object.entries(change) as Array<[ScenarioField, unknown]>) {
    const old = basis[field] ? basis[field].old : fields[field];
    if (sameValue(old, value)) delete out[field];
    else out[field] = { old, new: value };
  }
  return out;
}
