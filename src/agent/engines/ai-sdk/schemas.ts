import { jsonSchema, type Schema } from 'ai';
import type { JSONSchema7 } from '@ai-sdk/provider';
import { z } from 'zod';
import { scenarioWritableShape } from '../../../domain/scenario.js';
import { DRAFT_FIELDS, ENGINE_FIELDS, type Draft, type EngineField, type Suggestion, type ValidationIssue } from '../../../domain/suggestion.js';
import type { PlannerContext } from '../../engine.js';

/**
 * Bounds the model is not shown: local servers compile the schema into a grammar, where a
 * 100,000-character maxLength becomes a huge automaton. Validation still enforces every limit.
 */
const HEAVY_KEYWORDS = new Set(['$schema', 'maxLength', 'maxItems', 'propertyNames']);
const heavy = (k: string, v: unknown) => HEAVY_KEYWORDS.has(k) || (k === 'maximum' && typeof v === 'number' && v > 1_000_000);

function withoutHeavyKeywords(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutHeavyKeywords);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !heavy(k, v)).map(([k, v]) => [k, withoutHeavyKeywords(v)]));
}

const fieldSchemas = new Map<string, JSONSchema7>();
/** One field's JSON Schema, from the same zod definition a user's write is checked against. */
function fieldSchema(field: keyof typeof scenarioWritableShape): JSONSchema7 {
  let schema = fieldSchemas.get(field);
  if (!schema) {
    schema = withoutHeavyKeywords(z.toJSONSchema(scenarioWritableShape[field], { io: 'input', unrepresentable: 'any' })) as JSONSchema7;
    fieldSchemas.set(field, schema);
  }
  return schema;
}

/** Narrows a field to the values this project really has, so the model is shown only valid choices. */
function fieldsFor(fields: readonly (keyof typeof scenarioWritableShape)[], ctx: Pick<PlannerContext, 'personalities' | 'tools' | 'folders'>) {
  const props: Record<string, JSONSchema7> = {};
  for (const f of fields) props[f] = structuredClone(fieldSchema(f));
  if (props.personality && ctx.personalities.length) props.personality = { type: 'integer', enum: ctx.personalities.map((p) => p.id), description: 'Personality id' };
  if (props.tool_ids && ctx.tools.length) props.tool_ids = { type: 'array', items: { type: 'string', enum: ctx.tools.map((t) => t.id) }, description: 'Tool ids' };
  if (props.folder_path) props.folder_path = { anyOf: [{ type: 'string', enum: ctx.folders.length ? ctx.folders : [''] }, { type: 'null' }], description: 'An existing folder path, or null for none' };
  return props;
}

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

export interface ImproveAnswer {
  message: string;
  /** As the model gave them: `based_on_revision` is the engine's to fill from the batch. */
  suggestions: Suggestion[];
  /** Items that named no scenario, and fields outside ENGINE_FIELDS: left out, and said so. */
  issues: ValidationIssue[];
}

const ENGINE_FIELD_SET: ReadonlySet<string> = new Set(ENGINE_FIELDS);

export function improveSchema(batchIds: number[], ctx: PlannerContext): Schema<ImproveAnswer> {
  const schema: JSONSchema7 = {
    type: 'object',
    properties: {
      message: { type: 'string', description: 'One or two sentences for the user: what you changed and anything you could not do.' },
      changes: {
        type: 'array',
        description: 'Only scenarios you change; for each, only the fields whose value changes.',
        items: {
          type: 'object',
          properties: {
            scenario_id: { type: 'integer', enum: batchIds },
            fields: { type: 'object', properties: fieldsFor(ENGINE_FIELDS, ctx), additionalProperties: false },
          },
          required: ['scenario_id', 'fields'],
          additionalProperties: false,
        },
      },
    },
    required: ['message', 'changes'],
    additionalProperties: false,
  };
  return jsonSchema<ImproveAnswer>(schema, {
    validate: lenient((v) => {
      if (!Array.isArray(v.changes)) return '"changes" must be an array.';
      const issues: ValidationIssue[] = [];
      const suggestions: Suggestion[] = [];
      for (const c of v.changes) {
        if (!isObject(c) || !Number.isInteger(c.scenario_id) || !isObject(c.fields)) {
          issues.push({ scenario_id: null, field: null, message: 'A suggestion named no scenario_id or had no "fields" object; ignored.' });
          continue;
        }
        const scenarioId = c.scenario_id as number;
        const changes: Suggestion['changes'] = [];
        for (const [f, value] of Object.entries(c.fields)) {
          if (ENGINE_FIELD_SET.has(f)) changes.push({ field: f as EngineField, value });
          else issues.push({ scenario_id: scenarioId, field: f, message: `"${f}" is not a field a suggestion may change; ignored.` });
        }
        suggestions.push({ scenario_id: scenarioId, based_on_revision: null, changes, notes: [] });
      }
      return { message: typeof v.message === 'string' ? v.message : '', suggestions, issues };
    }),
  });
}

export interface ClarifyAnswer {
  message: string;
  needsClarification: boolean;
  questions: string[];
  drafts: Draft[];
}

export function clarifySchema(ctx: PlannerContext, fileIds: number[]): Schema<ClarifyAnswer> {
  const draft: JSONSchema7 = {
    type: 'object',
    properties: {
      ...fieldsFor(DRAFT_FIELDS, ctx),
      source_files: { type: 'array', items: fileIds.length ? { type: 'integer', enum: fileIds } : { type: 'integer' }, description: 'Ids of the knowledge-base files this scenario draws on' },
    },
    required: [...DRAFT_FIELDS, 'source_files'],
    additionalProperties: false,
  };
  const schema: JSONSchema7 = {
    type: 'object',
    properties: {
      message: { type: 'string', description: 'A short reply to the user.' },
      needs_clarification: { type: 'boolean', description: 'True only when the request is too vague to write useful scenarios.' },
      questions: { type: 'array', items: { type: 'string' }, description: 'Questions for the user when needs_clarification is true.' },
      scenarios: { type: 'array', items: draft },
    },
    required: ['message', 'needs_clarification', 'questions', 'scenarios'],
    additionalProperties: false,
  };
  return jsonSchema<ClarifyAnswer>(schema, {
    validate: lenient((v) => {
      if (v.scenarios !== undefined && !Array.isArray(v.scenarios)) return '"scenarios" must be an array.';
      const known = new Set(fileIds);
      const drafts = ((v.scenarios as unknown[] | undefined) ?? []).filter(isObject).map((s) => {
        const d = Object.fromEntries(DRAFT_FIELDS.map((k) => [k, s[k]])) as Record<string, unknown>;
        // Missing optional content is empty, as in a user's create; missing name or personality stays missing and fails validation.
        for (const [k, empty] of [['tags', []], ['tool_ids', []], ['first_message', ''], ['instructions', ''], ['expected_outcome_prompt', ''], ['information_fields', {}]] as const) {
          if (d[k] === undefined || d[k] === null) d[k] = empty;
        }
        d.scenario_language ??= ctx.agent?.language ?? 'en';
        const sources = Array.isArray(s.source_files) ? s.source_files.filter((id): id is number => known.has(id as number)) : [];
        return { scenario: d as Draft['scenario'], reason: '', sources: [...new Set(sources)] };
      });
      const questions = Array.isArray(v.questions) ? v.questions.filter((q): q is string => typeof q === 'string' && q.trim() !== '') : [];
      return { message: typeof v.message === 'string' ? v.message : '', needsClarification: v.needs_clarification === true && questions.length > 0, questions, drafts };
    }),
  });
}

export interface InstructionsAnswer {
  message: string;
  instructions?: unknown;
  conditionalActions?: unknown;
  expectedOutcomePrompt?: unknown;
}

export function instructionsSchema(conditional: boolean): Schema<InstructionsAnswer> {
  const body: Record<string, JSONSchema7> = conditional
    ? { conditional_actions: fieldSchema('conditional_actions') }
    : { instructions: { type: 'string', description: 'The complete new instructions for the simulated caller.' } };
  const schema: JSONSchema7 = {
    type: 'object',
    properties: {
      message: { type: 'string', description: 'One sentence for the user: what you wrote or changed.' },
      ...body,
      expected_outcome_prompt: { type: 'string', description: 'What the agent under test should achieve; only when the scenario has none.' },
    },
    required: ['message', ...Object.keys(body)],
    additionalProperties: false,
  };
  return jsonSchema<InstructionsAnswer>(schema, {
    validate: lenient((v) => ({
      message: typeof v.message === 'string' ? v.message : '',
      instructions: v.instructions,
      conditionalActions: v.conditional_actions,
      expectedOutcomePrompt: v.expected_outcome_prompt,
    })),
  });
}
