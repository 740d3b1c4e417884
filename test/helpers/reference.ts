import fs from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import * as ajv2020 from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';

// CommonJS modules: under NodeNext resolution their classes sit on `default`.
const Ajv2020 = ajv2020.default.default;
const addFormats = ajvFormats.default.default;

/**
 * The reference's in-scope OpenAPI extract (a copy in test/fixtures/reference-openapi): its operations and
 * component schemas, and a validator for what it documents each operation to answer.
 */

export type Schema = Record<string, any>;
export interface RefOperation {
  method: string;
  path: string;
  operationId: string;
  mcp_tool: string | null;
  summary: string;
  parameters: Array<{ name: string; in: string; required?: boolean; schema?: Schema }>;
  requestBody: { required?: boolean; content: Record<string, { schema: Schema }> } | null;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  aliases: string[];
}

export const REFERENCE_DIR = process.env.SCENARIST_REFERENCE_DIR ?? path.resolve(import.meta.dirname, '../fixtures/reference-openapi');

export function loadOperations(): RefOperation[] {
  return JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'endpoints.json'), 'utf8')).endpoints;
}

/** The content types a request body is documented in (the generator sometimes writes a malformed body: JSON then). */
export function requestForms(op: RefOperation): string[] {
  const keys = Object.keys(op.requestBody?.content ?? {}).filter((k) => k.includes('/'));
  if (op.requestBody && !keys.length) return ['application/json'];
  return keys;
}

/**
 * A property as a client reads it, allowing for the two artifacts of the reference's generator its
 * README names: computed (read-only) fields typed `string` whatever the server sends (e.g.
 * `message_count`, `metrics` of a list item), and nested read-only serializers documented as never null.
 * Its "any value or null" is written `oneOf: [{}, {type: null}]`, which a strict reading makes
 * refuse null (both branches match); it means any value.
 */
function answeredProperty(p: Schema): Schema {
  if (Array.isArray(p.oneOf) && p.oneOf.some((x: Schema) => x && typeof x === 'object' && !Object.keys(x).length)) return { ...p, oneOf: undefined };
  if (p.readOnly && p.type === 'string' && !p.enum && !p.format) return { ...p, type: undefined };
  if (p.readOnly && Array.isArray(p.allOf) && p.allOf.length === 1 && !p.type) return { ...p, allOf: undefined, anyOf: [p.allOf[0], { type: 'null' }] };
  return p;
}

/**
 * A response is checked the way a client reads it: write-only fields are never answered, so a
 * schema's `required` drops them (the reference lists e.g. KnowledgeBaseFile.file as required).
 */
function responseView(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(responseView);
  if (!s || typeof s !== 'object') return s;
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] =
      k === 'properties' && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([p, sub]) => [p, answeredProperty(responseView(sub) as Schema)]))
        : responseView(v);
  }
  if (Array.isArray(out.required) && out.properties) out.required = out.required.filter((r: string) => !out.properties[r]?.writeOnly);
  return JSON.parse(JSON.stringify(out));
}

export function makeResponseValidator(): (schema: Schema) => ValidateFunction {
  const components = JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'components.json'), 'utf8')).components;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'https://reference/components.json', components: responseView(components) });
  const cache = new Map<string, ValidateFunction>();
  return (schema) => {
    const key = JSON.stringify(schema);
    let v = cache.get(key);
    if (v === undefined) {
      const rewritten = JSON.parse(key.replaceAll('"#/components/', '"https://reference/components.json#/components/'));
      v = ajv.compile({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...(responseView(rewritten) as Schema) });
      cache.set(key, v);
    }
    return v!;
  };
}

/** One body encoded as a documented content type, the way DRF's parsers read them. */
export function encodeBody(body: Record<string, unknown>, contentType: string): { body: BodyInit; headers: Record<string, string> } {
  const scalar = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  if (contentType === 'application/json') return { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  if (contentType === 'application/x-www-form-urlencoded') {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) {
      if (v === null || v === undefined) continue;
      if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) for (const x of v) p.append(k, String(x));
      else p.append(k, scalar(v));
    }
    return { body: p.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  const form = new FormData();
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined) continue;
    if (v instanceof Blob) form.append(k, v, (v as File).name ?? 'upload.txt');
    else if (Array.isArray(v) && v.every((x) => x instanceof Blob)) for (const x of v) form.append(k, x as Blob, (x as File).name ?? 'upload.txt');
    else if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) for (const x of v) form.append(k, String(x));
    else form.append(k, scalar(v));
  }
  return { body: form, headers: {} };
}

/**
 * Where Scenarist answers other than the reference's schema says, on purpose: the operation, the
 * one schema error that is allowed, and why. Everything else in such an answer is still checked,
 * and an error of any other kind fails. Only for schemas the reference's generator wrote by
 * fallback (its README and notes name them), where following the schema would make the answer
 * wrong.
 */
export const SCHEMA_DEVIATIONS: ReadonlyArray<{ operationId: string; instancePath: string; keyword: string; params?: Record<string, unknown>; why: string }> = [
  {
    // The generator's Scenario fallback for an action with no serializer (reference notes §6.1):
    // no Scenario describes the list of tags in use, and a `personality` in it would mean nothing.
    operationId: 'scenarios-tags-retrieve',
    instancePath: '',
    keyword: 'required',
    params: { missingProperty: 'personality' },
    why: 'answers {tags}: the tags in use, not a Scenario (generator fallback)',
  },
  {
    // Also the Scenario fallback (reference notes §4). A job from the reference's own
    // improve_instructions/ request (agent and instructions, no personality) is about a scenario
    // that has no personality yet: null says so, where any id would be one the caller never chose.
    operationId: 'scenarios-instructions-progress-retrieve',
    instancePath: '/personality',
    keyword: 'type',
    why: 'a job whose payload names no personality answers personality null',
  },
];

/** The schema errors of an answer that no deviation of its operation explains. */
export function unexplainedErrors<E extends { instancePath: string; keyword: string; params?: Record<string, unknown> }>(
  operationId: string,
  errors: readonly E[] | null | undefined,
): E[] {
  const allowed = SCHEMA_DEVIATIONS.filter((d) => d.operationId === operationId);
  const explains = (d: (typeof SCHEMA_DEVIATIONS)[number], e: E) =>
    d.instancePath === e.instancePath && d.keyword === e.keyword && Object.entries(d.params ?? {}).every(([k, v]) => e.params?.[k] === v);
  return (errors ?? []).filter((e) => !allowed.some((d) => explains(d, e)));
}
