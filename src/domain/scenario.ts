import { z } from 'zod';
import { FieldErrorCollector, type FieldErrors } from './errors.js';
import { LANGUAGE_CODES, type LanguageCode } from './languages.js';
import { freeFormObject, rowId } from './storable.js';

/** The seed's Scenario enums and limits; one definition for routes, the store and every engine. */
export const SCENARIO_TYPES = ['instruction', 'real_world_smart', 'real_world_fixed', 'conditional_actions'] as const;
export const SUITE_TYPES = ['undefined', 'infrastructure'] as const;
export type ScenarioType = (typeof SCENARIO_TYPES)[number];
export type SuiteType = (typeof SUITE_TYPES)[number];
export const NAME_MAX = 80;
export const MAX_DURATION_MIN = 10;
export const MAX_DURATION_MAX = 3600;
const TEXT_MAX = 100_000;
const LIST_MAX = 200;

const id = rowId();
const shortText = z.string().max(255);

export const ConditionSchema = z.strictObject({
  id: z.number().int().min(0),
  condition: z.union([z.string().min(1).max(2000), z.number().int().min(0)]),
  action: z.string().max(10_000),
  type: z.enum(['standard', 'action_followup']).default('standard'),
  fixed_message: z.boolean().default(false),
});
export const ConditionalActionsSchema = z.strictObject({
  role: z.string().max(10_000),
  conditions: z.array(ConditionSchema).max(LIST_MAX),
});
export type ConditionalActions = z.infer<typeof ConditionalActionsSchema>;

export const MockToolEntrySchema = z
  .looseObject({
    tool_id: z.union([z.string(), z.number()]),
    tool_name: z.string().optional(),
    new_entry: z.looseObject({ input: z.unknown(), output: z.unknown() }),
  })
  .superRefine((entry, ctx) => {
    // Free-form like information fields: bounded in depth and size, and storable.
    const problem = freeFormObject().safeParse(entry);
    for (const issue of problem.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

const Information = freeFormObject().describe('Information fields, e.g. {"user_name": "John Doe"}');

/** Fields a client may write, with the seed's names and limits. */
export const scenarioWritableShape = {
  name: z.string().trim().min(1).max(NAME_MAX).describe('Name of the scenario'),
  agent: id.nullable().describe('Agent ID'),
  project: id.nullable(),
  assistant_id: z.string().min(1).max(255).describe('Alternative to agent ID - the assistant ID to use for this scenario'),
  personality: id.describe('Personality ID'),
  tags: z.array(z.string().trim().min(1).max(100)).max(LIST_MAX).describe('Tags associated with the scenario'),
  tool_ids: z.array(z.string().min(1).max(100)).max(LIST_MAX).describe('List of tool IDs to associate with this scenario'),
  metrics: z.array(id).max(LIST_MAX).describe('List of metric IDs to associate with this scenario'),
  first_message: z.string().max(10_000).describe('First message to be sent to the Main Agent'),
  inbound_phone_number: id.nullable(),
  phone_number: id.nullable(),
  instructions: z.string().max(TEXT_MAX).describe('Scenario Instructions'),
  conditional_actions: ConditionalActionsSchema.nullable(),
  simulation_description: z.string().max(TEXT_MAX).describe('Simulation Description'),
  information_fields: Information,
  expected_outcome_prompt: z.string().max(TEXT_MAX).describe('Expected Outcome Prompt'),
  scenario_language: z.enum(LANGUAGE_CODES).describe('Language of the scenario'),
  scenario_type: z.enum(SCENARIO_TYPES).describe('Type of scenario'),
  suite_type: z.enum(SUITE_TYPES),
  is_predefined: z.boolean(),
  test_profile: id.nullable(),
  dynamic_variable_values: z.unknown().describe('Removed from the API: only null may be written.'),
  generated_mock_tool_entries: z.array(MockToolEntrySchema).max(LIST_MAX).nullable(),
  folder_path: shortText.nullable().describe('Dot-separated path of an existing folder, e.g. "Sales.Inbound"'),
  max_duration: z
    .number()
    .int()
    .min(MAX_DURATION_MIN)
    .max(MAX_DURATION_MAX)
    .nullable()
    .describe('Max call duration in seconds (10-3600); null uses the project default'),
};

export const ScenarioCreate = z.strictObject({
  ...Object.fromEntries(Object.entries(scenarioWritableShape).map(([k, v]) => [k, v.optional()])),
  name: scenarioWritableShape.name,
  personality: scenarioWritableShape.personality,
}) as unknown as z.ZodObject<{
  [K in keyof typeof scenarioWritableShape]: K extends 'name' | 'personality'
    ? (typeof scenarioWritableShape)[K]
    : z.ZodOptional<(typeof scenarioWritableShape)[K]>;
}>;
export type ScenarioCreate = z.infer<typeof ScenarioCreate>;

export const ScenarioPatch = z.strictObject(
  Object.fromEntries(Object.entries(scenarioWritableShape).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof scenarioWritableShape]: z.ZodOptional<(typeof scenarioWritableShape)[K]>;
  },
);
export type ScenarioPatch = z.infer<typeof ScenarioPatch>;

/**
 * The stored, versioned content of a scenario: what a revision snapshots and a suggestion may change.
 * `project` and ids of references are included so a revert restores them too.
 */
export const SCENARIO_FIELDS = [
  'name',
  'agent',
  'personality',
  'tags',
  'tool_ids',
  'metrics',
  'first_message',
  'inbound_phone_number',
  'instructions',
  'conditional_actions',
  'simulation_description',
  'information_fields',
  'expected_outcome_prompt',
  'scenario_language',
  'scenario_type',
  'suite_type',
  'is_predefined',
  'test_profile',
  'generated_mock_tool_entries',
  'folder_path',
  'max_duration',
] as const;
export type ScenarioField = (typeof SCENARIO_FIELDS)[number];
export type ScenarioFields = {
  name: string;
  agent: number | null;
  personality: number;
  tags: string[];
  tool_ids: string[];
  metrics: number[];
  first_message: string;
  inbound_phone_number: number | null;
  instructions: string;
  conditional_actions: ConditionalActions | null;
  simulation_description: string;
  information_fields: Record<string, unknown>;
  expected_outcome_prompt: string;
  scenario_language: LanguageCode;
  scenario_type: ScenarioType;
  suite_type: SuiteType;
  is_predefined: boolean;
  test_profile: number | null;
  generated_mock_tool_entries: unknown[] | null;
  folder_path: string | null;
  max_duration: number | null;
};

export const EMPTY_SCENARIO: Omit<ScenarioFields, 'name' | 'personality'> = {
  agent: null,
  tags: [],
  tool_ids: [],
  metrics: [],
  first_message: '',
  inbound_phone_number: null,
  instructions: '',
  conditional_actions: null,
  simulation_description: '',
  information_fields: {},
  expected_outcome_prompt: '',
  scenario_language: 'en',
  scenario_type: 'instruction',
  suite_type: 'undefined',
  is_predefined: false,
  test_profile: null,
  generated_mock_tool_entries: null,
  folder_path: null,
  max_duration: null,
};

/** Deep equality for JSON values, insensitive to key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameValue(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && sameValue((a as never)[k], (b as never)[k]));
}

export type FieldChanges = Partial<Record<ScenarioField, { old: unknown; new: unknown }>>;

/** The fields whose value really differs between two versions of a scenario. */
export function diffScenarioFields(before: Partial<ScenarioFields>, after: Partial<ScenarioFields>): FieldChanges {
  const out: FieldChanges = {};
  for (const f of SCENARIO_FIELDS) {
    if (!(f in after)) continue;
    if (!sameValue(before[f], after[f])) out[f] = { old: before[f] ?? null, new: after[f] ?? null };
  }
  return out;
}

/** What a create set, as its revision lists it: the fields not left at their defaults (name and personality always). */
export function createdFields(created: ScenarioFields): FieldChanges {
  const set = diffScenarioFields(EMPTY_SCENARIO, created);
  return Object.fromEntries(Object.entries(set).map(([f, c]) => [f, { old: null, new: c.new }])) as FieldChanges;
}

/**
 * Cross-field rules of a complete scenario (after a write is merged), independent of the database:
 * instructions xor conditional actions, and conditional actions only for their scenario type.
 */
export function checkScenarioRules(s: ScenarioFields, errors = new FieldErrorCollector()): FieldErrorCollector {
  if (s.conditional_actions) {
    if (s.scenario_type !== 'conditional_actions') {
      errors.add('conditional_actions', 'Conditional actions require scenario_type "conditional_actions".');
    }
    if (s.instructions.trim()) {
      errors.add('non_field_errors', 'Use either conditional_actions (structured) or instructions (plain text), not both.');
    }
    s.conditional_actions.conditions.forEach((c, i) => {
      if (c.id !== i) errors.add('conditional_actions', `conditions.${i}.id: condition ids must be sequential from 0 (expected ${i}).`);
    });
  }
  if (new Set(s.tool_ids).size !== s.tool_ids.length) errors.add('tool_ids', 'Tool ids must not repeat.');
  return errors;
}

/** Collected problems as the 400 body, or null when the scenario is valid. */
export function scenarioRuleErrors(s: ScenarioFields): FieldErrors | null {
  const errors = checkScenarioRules(s);
  return errors.empty ? null : errors.fields;
}

/**
 * A field's value as a write would store it: the schema's own clean-up (names and tags trimmed,
 * defaults filled in) and a tag listed twice kept once. A value invalid for the field is returned
 * as it is, for the validation that reports it.
 */
export function normalizedValue(field: ScenarioField, value: unknown): unknown {
  // Tags as most writes send them (trimmed, none twice) are their own clean-up: no schema run for each of 10,000.
  if (field === 'tags' && Array.isArray(value) && value.every((t) => typeof t === 'string' && t.trim() === t) && new Set(value).size === value.length) {
    return [...value];
  }
  const r = (scenarioWritableShape as Record<string, z.ZodType>)[field]?.safeParse(value);
  const v = r?.success ? r.data : value;
  return field === 'tags' && Array.isArray(v) ? [...new Set(v)] : v;
}

/** Validates one field's value as a client write would, returning messages (empty when valid). */
export function fieldValueErrors(field: ScenarioField, value: unknown): string[] {
  const schema = (scenarioWritableShape as Record<string, z.ZodType>)[field];
  if (!schema) return [`"${field}" is not a scenario field.`];
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ` : '') + i.message);
}
