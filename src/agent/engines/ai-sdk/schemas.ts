import type { JSONSchema7 } from '@ai-sdk/provider';
import { jsonSchema, type Schema } from 'ai';
import { LANGUAGE_CODES } from '../../../domain/languages.js';
import { DRAFT_FIELDS, type Draft, ENGINE_FIELDS, type EngineField, type NotDone, type Suggestion, type ValidationIssue } from '../../../domain/suggestion.js';
import type { PlannerContext } from '../../engine.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Accepts any answer shaped like the envelope. Item by item the model's answer is only read here,
 * not judged: the job's validation decides (and reports) what is invalid, in one place for every
 * engine, instead of one bad item throwing away the whole answer.
 */
function lenient<T>(read: (v: Record<string, unknown>) => T | string) {
  return (value: unknown) => {
    if (!isObject(value)) return { success: false as const, error: new Error('The answer must be a JSON object.') };
    const out = read(value);
    return typeof out === 'string' ? { success: false as const, error: new Error(out) } : { success: true as const, value: out };
  };
}

/*
 * Every schema the model answers in is valid under OpenAI's strict structured outputs and as an
 * Anthropic tool input: the root is an object, every object lists all its properties as required
 * and allows no others, "optional" is a union with null, and no keyword strict mode rejects
 * (lengths, formats, property names, free-form maps) is used. The limits the schema cannot say
 * are enforced by validation, field by field, after the answer arrives.
 */
type Props = Record<string, JSONSchema7>;
const object = (properties: Props, description?: string): JSONSchema7 => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...(description ? { description } : {}),
});
const str = (description?: string): JSONSchema7 => ({ type: 'string', ...(description ? { description } : {}) });
const nullable = (s: JSONSchema7): JSONSchema7 => ({ anyOf: [s, { type: 'null' }] });
const list = (items: JSONSchema7, description?: string): JSONSchema7 => ({ type: 'array', items, ...(description ? { description } : {}) });

/** information_fields as a list of pairs, since strict mode has no free-form maps; read back into an object. */
const INFORMATION = list(
  object({ key: str(), value: str() }),
  'Facts the caller knows, as {key, value} pairs, e.g. {"key": "account_number", "value": "555-0142"}',
);
const CONDITIONAL_ACTIONS = object({
  role: str('Who the simulated caller is'),
  conditions: list(
    object({
      id: { type: 'integer', description: 'Sequential from 0' },
      condition: str('"FIRST_MESSAGE" for condition 0; else what the agent says or does'),
      action: str("The caller's response"),
      type: { type: 'string', enum: ['standard', 'action_followup'] },
      fixed_message: { type: 'boolean' },
    }),
  ),
});

/** A change's new value: one of the shapes a writable field takes (validation checks it against the field). */
const VALUE: JSONSchema7 = {
  anyOf: [
    str('Text fields, scenario_language, scenario_type, folder_path'),
    { type: 'integer', description: 'personality (an id from the project block) or max_duration in seconds' },
    { type: 'null', description: 'folder_path or max_duration removed' },
    list(str(), 'tags or tool_ids: the complete new list'),
    INFORMATION,
    CONDITIONAL_ACTIONS,
  ],
};

const NOT_DONE = list(
  object({ part: str("The part of the request, in the user's words"), reason: str('Why it was not carried out') }),
  'Every part of the request you do not carry out, with why; empty when everything was done',
);

/** Information fields given as pairs (or, leniently, as an object) in the Scenario's object form. */
function informationOf(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const p of v) if (isObject(p) && typeof p.key === 'string') out[p.key] = p.value;
  return out;
}

const readNotDone = (v: unknown): NotDone[] =>
  Array.isArray(v)
    ? v
        .filter((n): n is NotDone => isObject(n) && typeof n.part === 'string' && typeof n.reason === 'string' && n.part.trim() !== '')
        .map((n) => ({ part: n.part, reason: n.reason }))
    : [];

export interface ImproveAnswer {
  message: string;
  /** As the model gave them: `based_on_revision` is the engine's to fill from the batch. */
  suggestions: Suggestion[];
  notDone: NotDone[];
  /** Items that named no scenario, and fields outside ENGINE_FIELDS: left out, and said so. */
  issues: ValidationIssue[];
}

const ENGINE_FIELD_SET: ReadonlySet<string> = new Set(ENGINE_FIELDS);

/**
 * The improve answer, in the order it is written: the plan first, then each change with its
 * reason, then what is not done, and the message to the user last, so the message reports what
 * the changes and not_done already say. The same for every batch and every job (providers cache
 * the schema with the prompt's prefix): which ids an answer may name is checked after it arrives.
 */
export function improveSchema(): Schema<ImproveAnswer> {
  const schema = object({
    plan: str('Think first: which scenarios the request covers (and which it excludes), what you will change on each, and what you cannot do.'),
    changes: list(
      object({
        scenario_id: { type: 'integer', description: 'The id of a scenario shown in the scenarios block' },
        field: { type: 'string', enum: [...ENGINE_FIELDS] },
        value: VALUE,
        reason: str('Why this change carries out the request'),
      }),
      'One item per field you change, with its complete new value; only scenarios and fields the request covers.',
    ),
    not_done: NOT_DONE,
    message: str('For the user, written last: what you changed and what you did not do, consistent with changes and not_done.'),
  });
  return jsonSchema<ImproveAnswer>(schema, {
    validate: lenient((v) => {
      if (!Array.isArray(v.changes)) return '"changes" must be an array.';
      const issues: ValidationIssue[] = [];
      const byScenario = new Map<number, Suggestion>();
      const suggestionFor = (scenarioId: number) => byScenario.get(scenarioId) ?? { scenario_id: scenarioId, based_on_revision: null, changes: [], notes: [] };
      const add = (scenarioId: number, f: string, value: unknown, reason: unknown) => {
        if (!ENGINE_FIELD_SET.has(f)) {
          issues.push({ scenario_id: scenarioId, field: f, message: `"${f}" is not a field a suggestion may change; ignored.` });
          return;
        }
        const s = suggestionFor(scenarioId);
        // A field named twice keeps its last value.
        const changes = s.changes.filter((c) => c.field !== f);
        changes.push({
          field: f as EngineField,
          value: f === 'information_fields' ? informationOf(value) : value,
          ...(typeof reason === 'string' && reason.trim() ? { reason: reason.trim() } : {}),
        });
        byScenario.set(scenarioId, { ...s, changes });
      };
      for (const c of v.changes) {
        if (!isObject(c) || !Number.isInteger(c.scenario_id) || !(typeof c.field === 'string' || isObject(c.fields))) {
          issues.push({ scenario_id: null, field: null, message: 'A suggestion named no scenario_id or no field; ignored.' });
          continue;
        }
        const scenarioId = c.scenario_id as number;
        // One field per item, as the schema asks; the older shape with a "fields" object is read too.
        if (typeof c.field === 'string') add(scenarioId, c.field, c.value, c.reason);
        else for (const [f, value] of Object.entries(c.fields as object)) add(scenarioId, f, value, c.reason);
        if (!byScenario.has(scenarioId)) byScenario.set(scenarioId, suggestionFor(scenarioId));
      }
      return { message: typeof v.message === 'string' ? v.message : '', suggestions: [...byScenario.values()], notDone: readNotDone(v.not_done), issues };
    }),
  });
}

export interface ClarifyAnswer {
  message: string;
  needsClarification: boolean;
  questions: string[];
  drafts: Draft[];
  notDone: NotDone[];
}

export function clarifySchema(ctx: PlannerContext, fileIds: number[]): Schema<ClarifyAnswer> {
  const draft = object({
    reason: str('The situation this scenario tests, and why it is worth testing'),
    name: str('At most 80 characters, naming the situation it tests'),
    personality: ctx.personalities.length
      ? { type: 'integer', enum: ctx.personalities.map((p) => p.id), description: 'Personality id' }
      : { type: 'integer', description: 'Personality id' },
    scenario_language: { type: 'string', enum: [...LANGUAGE_CODES] },
    tags: list(str()),
    tool_ids: ctx.tools.length ? list({ type: 'string', enum: ctx.tools.map((t) => t.id) }) : list(str()),
    first_message: str('What the caller says first'),
    instructions: str('To the caller as "you": situation, goal, behaviour; never the expected outcome or the agent\'s internals'),
    expected_outcome_prompt: str('What the agent under test must achieve, measurable, for the grader'),
    information_fields: INFORMATION,
    source_files: list(fileIds.length ? { type: 'integer', enum: fileIds } : { type: 'integer' }, 'Ids of the knowledge-base files this scenario draws on'),
  });
  const schema = object({
    needs_clarification: { type: 'boolean', description: 'True only when the request is too vague to write useful scenarios.' },
    questions: list(str(), 'Questions for the user when needs_clarification is true.'),
    scenarios: list(draft),
    not_done: NOT_DONE,
    message: str('A short reply to the user, written last.'),
  });
  return jsonSchema<ClarifyAnswer>(schema, {
    validate: lenient((v) => {
      if (v.scenarios !== undefined && !Array.isArray(v.scenarios)) return '"scenarios" must be an array.';
      const known = new Set(fileIds);
      const drafts = ((v.scenarios as unknown[] | undefined) ?? []).filter(isObject).map((s) => {
        const d = Object.fromEntries(DRAFT_FIELDS.map((k) => [k, s[k]])) as Record<string, unknown>;
        d.information_fields = informationOf(d.information_fields);
        // Missing optional content is empty, as in a user's create; missing name or personality stays missing and fails validation.
        for (const [k, empty] of [
          ['tags', []],
          ['tool_ids', []],
          ['first_message', ''],
          ['instructions', ''],
          ['expected_outcome_prompt', ''],
          ['information_fields', {}],
        ] as const) {
          if (d[k] === undefined || d[k] === null) d[k] = empty;
        }
        d.scenario_language ??= ctx.agent?.language ?? 'en';
        const sources = Array.isArray(s.source_files) ? s.source_files.filter((id): id is number => known.has(id as number)) : [];
        return { scenario: d as Draft['scenario'], reason: typeof s.reason === 'string' ? s.reason : '', sources: [...new Set(sources)] };
      });
      const questions = Array.isArray(v.questions) ? v.questions.filter((q): q is string => typeof q === 'string' && q.trim() !== '') : [];
      return {
        message: typeof v.message === 'string' ? v.message : '',
        needsClarification: v.needs_clarification === true && questions.length > 0,
        questions,
        drafts,
        notDone: readNotDone(v.not_done),
      };
    }),
  });
}

export interface InstructionsAnswer {
  message: string;
  instructions?: unknown;
  conditionalActions?: unknown;
  expectedOutcomePrompt?: unknown;
  notDone: NotDone[];
}

export function instructionsSchema(conditional: boolean): Schema<InstructionsAnswer> {
  const body: Props = conditional
    ? { conditional_actions: CONDITIONAL_ACTIONS }
    : { instructions: str('The complete new instructions for the simulated caller.') };
  const schema = object({
    ...body,
    expected_outcome_prompt: nullable(str('What the agent under test should achieve; null unless the scenario has none.')),
    not_done: NOT_DONE,
    message: str('One sentence for the user, written last: what you wrote or changed.'),
  });
  return jsonSchema<InstructionsAnswer>(schema, {
    validate: lenient((v) => ({
      message: typeof v.message === 'string' ? v.message : '',
      instructions: v.instructions,
      conditionalActions: v.conditional_actions,
      expectedOutcomePrompt: v.expected_outcome_prompt,
      notDone: readNotDone(v.not_done),
    })),
  });
}
