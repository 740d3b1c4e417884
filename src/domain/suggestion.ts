import { z } from 'zod';
import { fieldValueErrors, normalizedValue, type ScenarioField, type ScenarioFields, sameValue, scenarioWritableShape } from './scenario.js';
import { MAX_INT } from './storable.js';

/**
 * The suggestion, from engine to review: what an engine proposes, what a job stores and the
 * progress routes answer, what apply takes back. One schema per concept; everything else (the
 * client, the page, the CLI, the OpenAPI document) takes its types from here.
 */

const id = z.number().int().positive().max(2_147_483_647);

/** The fields an engine may change: content, never ownership (agent, project, metrics). */
export const ENGINE_FIELDS = [
  'name',
  'personality',
  'tags',
  'tool_ids',
  'first_message',
  'instructions',
  'conditional_actions',
  'simulation_description',
  'information_fields',
  'expected_outcome_prompt',
  'scenario_language',
  'scenario_type',
  'folder_path',
  'max_duration',
] as const satisfies readonly ScenarioField[];
export type EngineField = (typeof ENGINE_FIELDS)[number];

/**
 * The fields a suggestion may change: an engine's, plus the ownership the user settles (the agent
 * chosen on an agent-clarification round trip, or a client's own edit sent to apply).
 */
export const SUGGESTIBLE_FIELDS = [...ENGINE_FIELDS, 'agent', 'test_profile', 'metrics'] as const satisfies readonly ScenarioField[];
export type SuggestibleField = (typeof SUGGESTIBLE_FIELDS)[number];

/** The fields every draft fills, as a user's create would. */
export const DRAFT_FIELDS = [
  'name',
  'personality',
  'scenario_language',
  'tags',
  'tool_ids',
  'first_message',
  'instructions',
  'expected_outcome_prompt',
  'information_fields',
] as const satisfies readonly EngineField[];

const SUGGESTIBLE: ReadonlySet<string> = new Set(SUGGESTIBLE_FIELDS);
export const isSuggestibleField = (field: string): field is SuggestibleField => SUGGESTIBLE.has(field);

const reasonText = z.string().max(2_000);

/** One field's proposed new value, and why. The value is checked against the Scenario rules before anyone sees it. */
export const ProposedChange = z.object({
  field: z.enum(SUGGESTIBLE_FIELDS),
  value: z.unknown(),
  reason: reasonText.optional().describe('Why this change, in a short sentence'),
  edited: z.boolean().optional().describe('The reviewer corrected the suggested value before applying it'),
});
export type ProposedChange = z.infer<typeof ProposedChange>;

/** Proposed changes to one existing scenario, based on the revision they were made from. */
export const Suggestion = z.object({
  scenario_id: id,
  based_on_revision: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe("The revision the changes were made from; null for a client's own edit, applied without that check"),
  changes: z.array(ProposedChange),
  notes: z.array(reasonText).describe("What the reviewer should know about this scenario's changes"),
});
export type Suggestion = z.infer<typeof Suggestion>;

const draftShape = Object.fromEntries(SUGGESTIBLE_FIELDS.map((f) => [f, scenarioWritableShape[f].optional()])) as {
  [K in SuggestibleField]: z.ZodOptional<(typeof scenarioWritableShape)[K]>;
};
/** A new scenario's content: name and personality at least, as a user's create needs. */
export const DraftScenario = z.object({ ...draftShape, name: scenarioWritableShape.name, personality: scenarioWritableShape.personality });
export type DraftScenario = z.infer<typeof DraftScenario>;

/** A new scenario proposed by clarify: nothing is created until it is applied. */
export const Draft = z.object({
  scenario: DraftScenario,
  reason: reasonText.describe('What situation this scenario tests'),
  sources: z.array(id).describe('Knowledge-base file ids the draft draws on'),
  edited: z.array(z.enum(SUGGESTIBLE_FIELDS)).optional().describe('The fields the reviewer corrected before applying it'),
});
export type Draft = z.infer<typeof Draft>;

/** A part of the request that was not carried out, and why. */
export const NotDone = z.object({
  part: z.string().max(20_000).describe('The part of the request, as the user wrote it'),
  reason: reasonText.describe('Why it was not done'),
});
export type NotDone = z.infer<typeof NotDone>;

/** A proposal the rules refused: left out of the result, and said so. */
export const ValidationIssue = z.object({
  scenario_id: z.number().int().nullable(),
  field: z.string().nullable(),
  message: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

export const FieldChange = z.object({ old: z.unknown(), new: z.unknown() });
export type FieldChange = z.infer<typeof FieldChange>;

/**
 * An item of `updated_scenarios` on the wire: a suggestion (`id`, the new values as top-level
 * Scenario fields, `based_on_revision`, `changes` with old and new, `reasons` and `notes`) or a
 * draft (the new scenario's fields, `draft: true`, `source_files`, `reason`). Apply takes the same
 * items back, or a client's edit of them.
 */
export const UpdatedScenario = z
  .looseObject({
    ...draftShape,
    id: id.optional().describe('The scenario changed; absent for a draft (a new scenario)'),
    name: z.string().optional(),
    based_on_revision: z.number().int().positive().optional(),
    changes: z.record(z.string(), FieldChange).optional().describe('Per changed field, its current and suggested value'),
    reasons: z.record(z.string(), z.string()).optional().describe('Per changed field, why'),
    notes: z.array(z.string()).optional(),
    draft: z.literal(true).optional(),
    source_files: z.array(z.number().int()).optional().describe("A draft's knowledge-base file ids"),
    reason: z.string().optional().describe('What situation a draft tests'),
  })
  .describe('A suggestion for an existing scenario, or a draft of a new one');
export type UpdatedScenario = z.infer<typeof UpdatedScenario>;

/** A suggestion as `updated_scenarios` shows it, with the scenario's current values beside the new ones. */
export function suggestionOnWire(s: Suggestion, name: string, current: Partial<ScenarioFields>): UpdatedScenario {
  const values = Object.fromEntries(s.changes.map((c) => [c.field, c.value]));
  const changes = Object.fromEntries(s.changes.map((c) => [c.field, { old: current[c.field] ?? null, new: c.value }]));
  const reasons = Object.fromEntries(s.changes.flatMap((c) => (c.reason ? [[c.field, c.reason]] : [])));
  return {
    id: s.scenario_id,
    name,
    ...values,
    ...(s.based_on_revision !== null ? { based_on_revision: s.based_on_revision } : {}),
    changes,
    reasons,
    notes: s.notes,
  };
}

/** A draft as `updated_scenarios` (and `generated_scenarios`) show it: the new scenario's fields, marked as a draft. */
export function draftOnWire(d: Draft): UpdatedScenario {
  return { ...d.scenario, draft: true, source_files: d.sources, reason: d.reason };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Items naming a scenario an earlier item already names: two would be written one over the other
 * and reported as a conflict that never happened, so an apply takes one item per scenario.
 */
export function repeatedScenarioErrors(items: ReadonlyArray<Record<string, unknown>>): string[] {
  const firstIndex = new Map<unknown, number>();
  const errors: string[] = [];
  items.forEach((raw, i) => {
    if (raw.id === undefined || raw.id === null) return;
    const first = firstIndex.get(raw.id);
    if (first === undefined) firstIndex.set(raw.id, i);
    else errors.push(`${i}.id: scenario ${String(raw.id)} is already item ${first}; send one item per scenario.`);
  });
  return errors;
}

/**
 * Reads `updated_scenarios` items as a result gave them or a client edited them: the new values as
 * top-level Scenario fields, or, failing those, `changes[field].new`. Read-only and unknown keys
 * are ignored, so a full Scenario object can be sent back as it is. Values are checked by a
 * field's write rules; each problem is named by the item's position.
 */
export function readUpdatedScenarios(
  items: ReadonlyArray<Record<string, unknown>>,
  /** The index of `items[0]` in the whole list, for errors of a list read in parts. */
  offset = 0,
): { suggestions: Suggestion[]; drafts: Draft[]; errors: string[] } {
  const suggestions: Suggestion[] = [];
  const drafts: Draft[] = [];
  const errors: string[] = [];
  items.forEach((raw, k) => {
    const i = k + offset;
    const id = raw.id;
    if (id !== undefined && id !== null && !(Number.isInteger(id) && (id as number) > 0 && (id as number) <= MAX_INT)) {
      errors.push(`${i}.id: must be a scenario id.`);
      return;
    }
    const rev = raw.based_on_revision;
    if (rev !== undefined && rev !== null && !(Number.isInteger(rev) && (rev as number) > 0 && (rev as number) <= MAX_INT)) {
      errors.push(`${i}.based_on_revision: must be a positive integer.`);
      return;
    }
    // Plain loops, no entries arrays or spreads: an apply reads 10,000 items on the event loop.
    const fields: Partial<Record<SuggestibleField, unknown>> = {};
    let named = 0;
    for (const k of Object.keys(raw)) {
      if (isSuggestibleField(k)) {
        fields[k] = raw[k];
        named++;
      }
    }
    if (!named && isRecord(raw.changes)) {
      for (const k of Object.keys(raw.changes)) {
        if (!isSuggestibleField(k)) continue;
        const v = raw.changes[k];
        fields[k] = isRecord(v) && 'new' in v ? v.new : v;
        named++;
      }
    }
    const names = Object.keys(fields) as SuggestibleField[];
    for (const f of names) for (const m of fieldValueErrors(f, fields[f])) errors.push(`${i}.${f}: ${m}`);
    if (id === undefined || id === null) {
      if (fields.name === undefined || fields.personality === undefined) errors.push(`${i}: a new scenario needs at least name and personality.`);
      const sources = Array.isArray(raw.source_files) ? raw.source_files.filter((s): s is number => Number.isInteger(s) && s > 0) : [];
      const edited = editedFields(fields, raw.changes);
      drafts.push({
        scenario: fields as DraftScenario,
        reason: typeof raw.reason === 'string' ? raw.reason : '',
        sources,
        ...(edited.length ? { edited } : {}),
      });
      return;
    }
    if (!named) errors.push(`${i}: no changes to apply for scenario ${String(id)}.`);
    const reasons = isRecord(raw.reasons) ? raw.reasons : {};
    const corrected = new Set(editedFields(fields, raw.changes));
    const changes: Suggestion['changes'] = [];
    for (const field of names) {
      const change: Suggestion['changes'][number] = { field, value: fields[field] };
      const reason = reasons[field];
      if (typeof reason === 'string') change.reason = reason;
      if (corrected.has(field)) change.edited = true;
      changes.push(change);
    }
    const notes = Array.isArray(raw.notes) ? raw.notes.filter((n): n is string => typeof n === 'string') : [];
    suggestions.push({ scenario_id: id as number, based_on_revision: (rev as number | undefined) ?? null, changes, notes });
  });
  return { suggestions, drafts, errors };
}

/** Whether a value sent to apply differs from the one suggested, once both are as a write would store them. */
export const isEdit = (field: SuggestibleField, sent: unknown, suggested: unknown): boolean =>
  // Equal values normalize alike: the schema's clean-up runs only when they differ (an apply checks 10,000 of them).
  !sameValue(sent, suggested) && !sameValue(normalizedValue(field, sent), normalizedValue(field, suggested));

/** The fields whose value was sent beside the suggestion it replaces (`changes[field].new`) and unlike it: the reviewer's corrections. */
function editedFields(fields: Partial<Record<SuggestibleField, unknown>>, changes: unknown): SuggestibleField[] {
  if (!isRecord(changes)) return [];
  return (Object.keys(fields) as SuggestibleField[]).filter((f) => {
    const was = changes[f];
    return isRecord(was) && 'new' in was && isEdit(f, fields[f], was.new);
  });
}

/**
 * The fields of a draft the reviewer corrected: against the draft of the same name its job made,
 * when there is one; otherwise (the name itself was corrected, or the job is not known) as the
 * apply said, beside the values it replaced.
 */
export function draftEdits(d: Draft, jobItems: readonly UpdatedScenario[]): SuggestibleField[] {
  const drafted = jobItems.find((u) => (u.id === undefined || u.id === null) && u.name === d.scenario.name);
  if (!drafted) return d.edited ?? [];
  return (Object.keys(d.scenario) as SuggestibleField[]).filter((f) => d.scenario[f] !== undefined && isEdit(f, d.scenario[f], drafted[f]));
}

/** The new values of a suggestion, as a write. */
export const valuesOf = (s: Pick<Suggestion, 'changes'>): Partial<Record<SuggestibleField, unknown>> =>
  Object.fromEntries(s.changes.map((c) => [c.field, c.value]));

// ── Job results: one schema per kind, told apart by `kind` ──────────────────────────────────────

const sessionId = z.number().int().nullable();
const notDone = z.array(NotDone).describe('Every part of the request that was not carried out, and why');

export const ApplyConflict = z.object({
  scenario_id: z.number().int(),
  based_on_revision: z.number().int().nullable(),
  current_revision: z.number().int().nullable(),
  reason: z.enum(['changed', 'deleted']),
});
export type ApplyConflict = z.infer<typeof ApplyConflict>;

export const HeldToolCall = z.object({ id: z.string(), name: z.string(), arguments: z.record(z.string(), z.unknown()) });
export type HeldToolCall = z.infer<typeof HeldToolCall>;

export const FailedBatch = z.object({ batch: z.number().int(), scenario_ids: z.array(z.number().int()), error: z.string() });

/** The keys every scenario-agent result has, whatever its kind. */
const scenarioAgentResultShape = {
  success: z.boolean(),
  message: z.string(),
  session_id: sessionId,
  validation_issues: z.array(ValidationIssue).describe('Proposals the rules refused: left out, and said so'),
  not_done: notDone,
  cancelled: z.boolean(),
};

const budgetStop = z
  .string()
  .nullable()
  .optional()
  .describe(
    "Why the job stopped before a model call its budget (max_tokens, max_cost, the project's monthly budget) did not allow; what was done before is kept",
  );

export const ImproveResult = z.object({
  kind: z.literal('improve'),
  ...scenarioAgentResultShape,
  updated_scenarios: z.array(UpdatedScenario).describe('The suggestions; nothing is written until they are applied'),
  applied_scenario_ids: z.array(z.number().int()),
  available_agents: z.array(z.object({ id: z.number().int(), agent_name: z.string() })),
  needs_agent_clarification: z.boolean(),
  scenarios_needing_agent: z.array(z.number().int()),
  pending_tool_calls: z.array(HeldToolCall),
  failed_batches: z.array(FailedBatch).describe('Batches of scenarios the engine failed on; the others are in updated_scenarios'),
  answered_by: z
    .enum(['planner', 'model', 'planner and model'])
    .optional()
    .describe('With a model configured: whether the built-in planner (no model call) or the model answered'),
  changeset_id: z.number().int().nullable().optional().describe('With apply_changes: the changeset of what this job applied (changesets/)'),
  budget_stop: budgetStop,
});
export type ImproveResult = z.infer<typeof ImproveResult>;

export const ClarifyResult = z.object({
  kind: z.literal('clarify'),
  ...scenarioAgentResultShape,
  user_message: z.string().describe("The assistant's reply (the reference's name for it)"),
  needs_clarification: z.boolean(),
  clarification_questions: z.array(z.object({ id: z.number().int(), question: z.string() })),
  base_extra_instructions: z.string().nullable(),
  extra_instructions_list: z.array(z.string()),
  conversation_history: z.array(z.object({ role: z.string(), content: z.string() })),
  generated_scenarios: z.array(UpdatedScenario).describe('The drafts'),
  updated_scenarios: z.array(UpdatedScenario).describe('The same drafts, in the shape apply takes back'),
  error: z.string().nullable(),
  budget_stop: budgetStop,
});
export type ClarifyResult = z.infer<typeof ClarifyResult>;

export const ApplyResult = z.object({
  kind: z.literal('apply'),
  ...scenarioAgentResultShape,
  updated_scenarios: z.array(UpdatedScenario).describe('Always empty: an apply suggests nothing'),
  applied_scenario_ids: z.array(z.number().int()),
  created_scenario_ids: z.array(z.number().int()),
  conflicts: z.array(ApplyConflict).describe('Scenarios changed or deleted since the suggestion was made; nothing was written'),
  already_applied: z.boolean().describe('These suggestions had been applied before: nothing was written, and nothing conflicts'),
  edited_fields: z
    .array(z.object({ scenario_id: z.number().int(), fields: z.array(z.string()) }))
    .describe('Per scenario, the fields whose suggested value the reviewer corrected'),
  changeset_id: z.number().int().nullable().optional().describe('The changeset this apply recorded: list, show or revert it under changesets/'),
});
export type ApplyResult = z.infer<typeof ApplyResult>;

/** The fields an instructions job proposes, as a patch; applying it writes exactly these. */
export const InstructionsChange = z.object({
  instructions: z.string(),
  conditional_actions: scenarioWritableShape.conditional_actions,
  expected_outcome_prompt: z.string().optional(),
});
export type InstructionsChange = z.infer<typeof InstructionsChange>;

export const InstructionsResult = z.object({
  kind: z.literal('instructions'),
  success: z.boolean(),
  message: z.string(),
  scenario_id: z.number().int().nullable(),
  based_on_revision: z.number().int().nullable(),
  change: InstructionsChange.nullable(),
  changes: z.record(z.string(), FieldChange),
  not_done: notDone,
  cancelled: z.boolean(),
});
export type InstructionsResult = z.infer<typeof InstructionsResult>;

/** What a finished job stores as its result. */
export const JobResult = z.discriminatedUnion('kind', [ImproveResult, ClarifyResult, ApplyResult, InstructionsResult]);
export type JobResult = z.infer<typeof JobResult>;
export type JobResultKind = JobResult['kind'];

/** The results scenario-agent-progress answers (instructions jobs have their own progress route). */
export const ScenarioAgentResult = z.discriminatedUnion('kind', [ImproveResult, ClarifyResult, ApplyResult]);
export type ScenarioAgentResult = z.infer<typeof ScenarioAgentResult>;

type ResultOf<K extends JobResultKind> = Extract<JobResult, { kind: K }>;

/** Every key of a kind's result, empty: what a job fills in, and what it answers when it has nothing more to say. */
export function blankResult<K extends JobResultKind>(kind: K, sessionId: number | null = null): ResultOf<K> {
  const common = { success: true, message: '', not_done: [], cancelled: false };
  const lists = { updated_scenarios: [], validation_issues: [] };
  const blanks: { [P in JobResultKind]: ResultOf<P> } = {
    improve: {
      ...common,
      ...lists,
      kind: 'improve',
      session_id: sessionId,
      applied_scenario_ids: [],
      available_agents: [],
      needs_agent_clarification: false,
      scenarios_needing_agent: [],
      pending_tool_calls: [],
      failed_batches: [],
    },
    clarify: {
      ...common,
      ...lists,
      kind: 'clarify',
      session_id: sessionId,
      user_message: '',
      needs_clarification: false,
      clarification_questions: [],
      base_extra_instructions: null,
      extra_instructions_list: [],
      conversation_history: [],
      generated_scenarios: [],
      error: null,
    },
    apply: {
      ...common,
      ...lists,
      kind: 'apply',
      session_id: sessionId,
      applied_scenario_ids: [],
      created_scenario_ids: [],
      conflicts: [],
      already_applied: false,
      edited_fields: [],
    },
    instructions: { ...common, kind: 'instructions', scenario_id: null, based_on_revision: null, change: null, changes: {} },
  };
  return blanks[kind];
}

/**
 * The result of a job that ended before its kind could say more (cancelled, or failed outside the
 * kind's own handling): every key of its kind, empty, with the message.
 */
export function stoppedResult(kind: JobResultKind, message: string, opts: { cancelled?: boolean; sessionId?: number | null } = {}): JobResult {
  const cancelled = opts.cancelled ?? false;
  const result = { ...blankResult(kind, opts.sessionId ?? null), success: false, message, cancelled };
  // Clarify's reply is `user_message` in the reference, and its failure is in `error`.
  return result.kind === 'clarify' ? { ...result, user_message: message, error: cancelled ? null : message } : result;
}
