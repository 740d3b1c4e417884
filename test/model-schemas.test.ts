import { describe, expect, it } from 'vitest';
import type { PlannerContext } from '../src/agent/engine.js';
import { clarifySchema, improveSchema, instructionsSchema } from '../src/agent/engines/ai-sdk/schemas.js';

/**
 * The answer schemas the model is constrained to, checked against OpenAI's strict structured
 * outputs rules (every object lists all its properties as required and allows no others; nullable
 * is a union with null; no keyword strict mode rejects) and against what an Anthropic tool input
 * needs (an object at the root).
 */
const ctx: PlannerContext = {
  agent: null,
  personalities: [{ id: 1, name: 'Calm', language: 'en', description: 'Calm' }],
  folders: ['Sales'],
  tools: [{ id: 'TOOL_END_CALL', name: 'End call' }],
  knowledgeBase: [],
};

const UNSUPPORTED = [
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'propertyNames',
  'patternProperties',
  'unevaluatedProperties',
  'minProperties',
  'maxProperties',
  'default',
  '$schema',
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
];

/** Every rule strict mode states, as problems found at a path. */
function strictProblems(node: any, path = '$'): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const out: string[] = [];
  for (const k of UNSUPPORTED) if (k in node) out.push(`${path}: "${k}" is not allowed in strict mode`);
  if (node.type === 'object' || node.properties) {
    const keys = Object.keys(node.properties ?? {});
    if (node.additionalProperties !== false) out.push(`${path}: additionalProperties must be false`);
    if (JSON.stringify([...(node.required ?? [])].sort()) !== JSON.stringify([...keys].sort())) out.push(`${path}: every property must be required`);
    if (!keys.length) out.push(`${path}: an object with no properties cannot be constrained`);
    for (const k of keys) out.push(...strictProblems(node.properties[k], `${path}.${k}`));
  }
  if (node.type === 'array' && !node.items) out.push(`${path}: an array needs items`);
  if (node.items) out.push(...strictProblems(node.items, `${path}[]`));
  for (const [i, s] of (node.anyOf ?? []).entries()) out.push(...strictProblems(s, `${path}|${i}`));
  if (!node.anyOf && !node.type && !node.enum && !node.const) out.push(`${path}: needs a type`);
  return out;
}

const schemas = {
  improve: improveSchema().jsonSchema,
  clarify: clarifySchema(ctx, [7]).jsonSchema,
  instructions: instructionsSchema(false).jsonSchema,
  'conditional actions': instructionsSchema(true).jsonSchema,
};

describe('answer schemas', () => {
  it.each(Object.entries(schemas))('%s is valid under strict structured outputs and as an Anthropic tool input', async (_, schema) => {
    const s = await schema;
    expect(s).toMatchObject({ type: 'object' });
    expect(strictProblems(s)).toEqual([]);
  });

  it('the strictness check can fail', () => {
    expect(
      strictProblems({ type: 'object', properties: { a: { type: 'string', maxLength: 3 }, b: { type: 'object', additionalProperties: {} } }, required: ['a'] }),
    ).toEqual([
      '$: additionalProperties must be false',
      '$: every property must be required',
      '$.a: "maxLength" is not allowed in strict mode',
      '$.b: additionalProperties must be false',
      '$.b: an object with no properties cannot be constrained',
    ]);
  });

  it('every answer writes its message last, after what it did and did not do', async () => {
    expect(Object.keys(((await schemas.improve) as any).properties)).toEqual(['plan', 'changes', 'not_done', 'message']);
    expect(Object.keys(((await schemas.clarify) as any).properties).slice(-2)).toEqual(['not_done', 'message']);
    expect(Object.keys(((await schemas.instructions) as any).properties).slice(-2)).toEqual(['not_done', 'message']);
  });
});
