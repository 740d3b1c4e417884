import type { QueryValue } from '../client/index.js';
import { REFERENCE_OPERATIONS } from '../domain/reference-operations.js';
import { errorFrom, json, type McpTool, type ObjectSchema } from './tool.js';

/** The parts of an OpenAPI 3.1 document the reference-named tools are built from. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | undefined>>;
  components?: { schemas?: Record<string, unknown> };
}

interface OpenApiOperation {
  summary?: string;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: Record<string, unknown> }>;
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
}

/** Arguments the reference's own clients add for its server's bookkeeping; they are no part of the API. */
const CLIENT_ONLY_ARGUMENTS = new Set(['skill_ack']);

/**
 * One tool per operation the reference's MCP server names, for those Scenarist serves. Arguments are
 * flat, as that server takes them: path parameters, query parameters, then the body's fields (a list
 * body is `items`); each argument's schema is the one this API documents, so there is no second copy.
 */
export function referenceTools(doc: OpenApiDocument): McpTool[] {
  const tools: McpTool[] = [];
  for (const ref of REFERENCE_OPERATIONS) {
    const op = doc.paths[ref.path]?.[ref.method.toLowerCase()];
    if (!ref.mcpTool || !op) continue;
    const shape = argumentShape(op, doc);
    tools.push({
      name: ref.mcpTool,
      title: ref.summary,
      description: `${ref.summary} (${ref.method} ${ref.path}).${op.description ? ` ${op.description}` : ''}`,
      inputSchema: shape.schema,
      annotations: { title: ref.summary, readOnlyHint: ref.method === 'GET', destructiveHint: ref.method === 'DELETE' },
      async call(args, ctx) {
        const { path, query, body } = dispatch(ref.path, shape, args);
        try {
          const answer = await ctx.client.requestAt(ref.method, path, { query, body, signal: ctx.signal });
          return { content: [{ type: 'text', text: answer === null ? json({ status: 'ok' }) : json(answer) }] };
        } catch (e) {
          return errorFrom(e);
        }
      },
    });
  }
  return tools;
}

interface ArgumentShape {
  schema: ObjectSchema;
  pathParams: Set<string>;
  queryParams: Set<string>;
  /** The body is a list, sent as the `items` argument. */
  listBody: boolean;
  hasBody: boolean;
}

function argumentShape(op: OpenApiOperation, doc: OpenApiDocument): ArgumentShape {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const pathParams = new Set<string>();
  const queryParams = new Set<string>();
  for (const p of op.parameters ?? []) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    (p.in === 'path' ? pathParams : queryParams).add(p.name);
    properties[p.name] = { ...resolve(p.schema ?? {}, doc), ...(p.description ? { description: p.description } : {}) };
    if (p.required || p.in === 'path') required.push(p.name);
  }
  const bodySchema = resolve(op.requestBody?.content?.['application/json']?.schema, doc);
  let listBody = false;
  if (bodySchema?.type === 'array') {
    listBody = true;
    properties.items = bodySchema;
    required.push('items');
  } else if (bodySchema && typeof bodySchema.properties === 'object') {
    for (const [name, s] of Object.entries(bodySchema.properties as Record<string, unknown>)) {
      if (name in properties) continue;
      properties[name] = resolve(s as Record<string, unknown>, doc);
    }
    for (const name of (bodySchema.required as string[] | undefined) ?? []) if (!required.includes(name)) required.push(name);
  }
  return {
    schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
    pathParams,
    queryParams,
    listBody,
    hasBody: Boolean(bodySchema),
  };
}

/** Follows a `$ref` into the document's components (one level is all this API's document uses). */
function resolve(schema: Record<string, unknown> | undefined, doc: OpenApiDocument): Record<string, unknown> | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  return (doc.components?.schemas?.[name] as Record<string, unknown> | undefined) ?? {};
}

/** Splits flat arguments into path, query and body the way the reference's server does. */
function dispatch(template: string, shape: ArgumentShape, args: Record<string, unknown>) {
  const query: Record<string, QueryValue> = {};
  const bodyFields: Record<string, unknown> = {};
  let path = template;
  for (const [name, value] of Object.entries(args)) {
    if (value === null || value === undefined || CLIENT_ONLY_ARGUMENTS.has(name)) continue;
    if (shape.pathParams.has(name)) path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
    else if (shape.queryParams.has(name) || !shape.hasBody) query[name] = queryValue(value);
    else bodyFields[name] = value;
  }
  const body = shape.listBody ? (bodyFields.items ?? []) : shape.hasBody ? bodyFields : undefined;
  return { path, query, body };
}

function queryValue(value: unknown): QueryValue {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object') return JSON.stringify(value);
  return value as QueryValue;
}
