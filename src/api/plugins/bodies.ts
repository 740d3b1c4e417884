import formbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors.js';

/**
 * The request bodies of the reference's framework (DRF's default parsers): JSON, form-urlencoded
 * and multipart, all validated by the same route schema. Also what its clients do with them: an
 * empty body with `Content-Type: application/json` on a request that takes none (the reference's
 * MCP client sends the header on every request, DELETE included), and an object read with GET sent
 * back in a PUT or PATCH, read-only fields and all.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The handler reads the multipart stream itself (file uploads). */
    rawMultipart?: boolean;
    /**
     * Fields whose multipart file parts the body takes: each file is added to the field's list as
     * `{file_name, content_base64}`, the form the JSON body gives it.
     */
    fileFields?: readonly string[];
  }
}

type JsonSchema = { type?: string | string[]; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; items?: JsonSchema; properties?: Record<string, JsonSchema> };

const jsonSchemas = new WeakMap<object, JsonSchema>();
const shapes = new WeakMap<object, Set<string> | null>();

function jsonSchemaOf(schema: unknown): JsonSchema | undefined {
  if (!(schema instanceof z.ZodType)) return undefined;
  let out = jsonSchemas.get(schema);
  if (!out) {
    out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    jsonSchemas.set(schema, out);
  }
  return out;
}

/** The top-level keys an object schema (of a body or an answer) names, or null when it names none. */
function keysOf(schema: unknown): Set<string> | null {
  if (!(schema instanceof z.ZodType)) return null;
  if (!shapes.has(schema)) {
    const props = jsonSchemaOf(schema)?.properties;
    shapes.set(schema, props ? new Set(Object.keys(props)) : null);
  }
  return shapes.get(schema)!;
}

function typesOf(s: JsonSchema | undefined): Set<string> {
  const out = new Set<string>();
  if (!s) return out;
  for (const t of Array.isArray(s.type) ? s.type : s.type ? [s.type] : []) out.add(t);
  for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) for (const t of typesOf(alt)) out.add(t);
  return out;
}

/** One form value (always text, or a list of texts for a repeated key) as the JSON value the schema takes. */
function coerce(value: unknown, s: JsonSchema | undefined): unknown {
  const types = typesOf(s);
  if (!types.size) return value;
  if (Array.isArray(value)) return types.has('array') ? value.map((v) => coerce(v, s?.items ?? [...(s?.anyOf ?? [])].find((a) => a.items)?.items)) : value;
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === '' && types.has('null')) return null;
  if ((types.has('array') && text.startsWith('[')) || (types.has('object') && text.startsWith('{'))) {
    try {
      return JSON.parse(text);
    } catch {
      return value;
    }
  }
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (types.has('boolean') && /^(true|false|1|0)$/i.test(text)) return /^(true|1)$/i.test(text);
  if (types.has('array')) return [coerce(value, s?.items ?? [...(s?.anyOf ?? [])].find((a) => a.items)?.items)];
  return value;
}

function coerceForm(body: Record<string, unknown>, schema: unknown): Record<string, unknown> {
  const props = jsonSchemaOf(schema)?.properties ?? {};
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, coerce(v, props[k])]));
}

type FilePart = { file_name: string; content_base64: string };

/**
 * The text fields of a multipart body, and the files of the fields that take them; a file where
 * the route expects none is named, not dropped.
 */
async function multipartFields(
  req: FastifyRequest,
  fileFields: readonly string[],
): Promise<{ fields: Record<string, unknown>; files: Record<string, FilePart[]> }> {
  const out: Record<string, unknown> = {};
  const files: Record<string, FilePart[]> = {};
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (!fileFields.includes(part.fieldname)) throw ValidationError.field(part.fieldname, 'This endpoint takes no file.');
        (files[part.fieldname] ??= []).push({ file_name: part.filename, content_base64: data.toString('base64') });
        continue;
      }
      const prev = out[part.fieldname];
      out[part.fieldname] = prev === undefined ? part.value : Array.isArray(prev) ? [...prev, part.value] : [prev, part.value];
    }
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw ValidationError.field('non_field_errors', 'The multipart body could not be read.');
  }
  return { fields: out, files };
}

/** A field's files after its text values (a list, one value, or none). */
function withFiles(body: Record<string, unknown>, files: Record<string, FilePart[]>): Record<string, unknown> {
  for (const [field, parts] of Object.entries(files)) {
    const had = body[field];
    body[field] = [...(had === undefined ? [] : Array.isArray(had) ? had : [had]), ...parts];
  }
  return body;
}

/** Bodies from this size on are parsed in a turn of the event loop of their own. */
const BIG_BODY_CHARS = 256 * 1024;

export async function registerBodyParsers(app: FastifyInstance, opts: { uploadLimit: number }): Promise<void> {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    if (text.length < BIG_BODY_CHARS) return parseJson(req, text, done);
    // A body of megabytes (an apply of thousands of suggestions) takes tens of milliseconds to parse
    // and as long again to check: the parse gets a turn of the event loop of its own, and the checks
    // that follow another, so other requests are answered between them.
    setImmediate(() => parseJson(req, text, (err, parsed) => setImmediate(() => done(err, parsed))));
  });
  await app.register(formbody);
  await app.register(fastifyMultipart, { limits: { fileSize: opts.uploadLimit, files: 20, fields: 200, fieldSize: 1_000_000, parts: 220 } });

  // A callback hook that returns at once for routes without a body (every GET), so they pay no promise.
  app.addHook('preValidation', (req, _reply, done) => {
    if (!req.routeOptions.schema?.body) return done();
    shapeBody(req).then(() => done(), done);
  });
}

/** A form or multipart body as the route's JSON schema would have it; read-only fields of an update dropped. */
async function shapeBody(req: FastifyRequest): Promise<void> {
  const schema = req.routeOptions.schema!;
  const type = String(req.headers['content-type'] ?? '');
  if (req.isMultipart()) {
    if (req.routeOptions.config.rawMultipart) return;
    const { fields, files } = await multipartFields(req, req.routeOptions.config.fileFields ?? []);
    req.body = withFiles(coerceForm(fields, schema.body), files);
  } else if (type.startsWith('application/x-www-form-urlencoded') && req.body && typeof req.body === 'object') {
    req.body = coerceForm({ ...(req.body as Record<string, unknown>) }, schema.body);
  }
  // Read-only fields sent back in an update are ignored, as the reference's serializers do: a field
  // the answer has and the body does not take is one a client read and may return.
  if ((req.method === 'PUT' || req.method === 'PATCH') && req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
    const takes = keysOf(schema.body);
    const answers = keysOf((schema.response as Record<string, unknown> | undefined)?.[200]);
    if (!takes || !answers) return;
    const body = req.body as Record<string, unknown>;
    const bodyProps = jsonSchemaOf(schema.body)?.properties ?? {};
    const answerProps = jsonSchemaOf((schema.response as Record<string, unknown>)[200])?.properties ?? {};
    for (const k of Object.keys(body)) {
      if (answers.has(k) && !takes.has(k)) delete body[k];
      // The same name read as display text and written as an id (a scenario's phone_number): the
      // text sent back is the read-only rendering, not a write.
      else if (typeof body[k] === 'string' && !typesOf(bodyProps[k]).has('string') && typesOf(answerProps[k]).has('string')) delete body[k];
    }
  }
}
