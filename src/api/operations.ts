import type { RouteOptions } from 'fastify';
import { REFERENCE_OPERATIONS, type ReferenceOperation } from '../domain/reference-operations.js';
import { canonicalUrl } from './aliases.js';

/** `/scenarios/:id/` and `/scenarios/{id}/` name the same path; the reference calls every path id `id`. */
const pathKey = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/[:{]\w+}?/g, '{id}')}`;

const REFERENCE_IDS = new Set(REFERENCE_OPERATIONS.map((op) => op.operationId));
const byPath = new Map<string, ReferenceOperation>();
const byAlias = new Map<string, ReferenceOperation>();
for (const op of REFERENCE_OPERATIONS) {
  byPath.set(pathKey(op.method, op.path), op);
  for (const alias of op.aliases) if (!byAlias.has(pathKey(op.method, alias))) byAlias.set(pathKey(op.method, alias), op);
}

const VERBS: Record<string, [collection: string, item: string]> = {
  GET: ['list', 'retrieve'],
  POST: ['create', 'create'],
  PUT: ['update', 'update'],
  PATCH: ['partial-update', 'partial-update'],
  DELETE: ['destroy', 'destroy'],
};

/** For a route the reference does not have: `scenarios-revisions-list`, in the reference's naming style. */
function ownOperation(method: string, url: string): { operationId: string; summary: string } {
  const parts = url.split('/').filter((p) => p && !/^(test_framework|user|v\d)$/.test(p));
  const named = parts.filter((p) => !p.startsWith(':'));
  const [collection, item] = VERBS[method] ?? [method.toLowerCase(), method.toLowerCase()];
  const verb = parts.at(-1)?.startsWith(':') || (parts.length > named.length && named.length === 1) ? item : collection;
  let operationId = [...named, verb].join('-').replace(/_/g, '-');
  // One of ours on one object beside the reference's on the collection (scenarios/{id}/improve_instructions/).
  if (REFERENCE_IDS.has(operationId)) operationId = [...named, 'one', verb].join('-').replace(/_/g, '-');
  const words = named.map((p) => p.replace(/[-_]/g, ' ')).join(' ');
  return { operationId, summary: `${verb[0]!.toUpperCase()}${verb.slice(1).replace('-', ' ')} ${words}` };
}

/** onRoute hook: every route carries the reference's operationId and summary, or ones in its style. */
export function applyReferenceOperation(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.length !== 1 || !route.schema || (route.schema as { hide?: boolean }).hide) return;
  const method = String(methods[0]).toUpperCase();
  if (method === 'HEAD') return;
  const schema = route.schema as { operationId?: string; summary?: string };
  const ref = byPath.get(pathKey(method, route.url)) ?? byAlias.get(pathKey(method, route.url));
  const own = ownOperation(method, route.url);
  schema.operationId ??= ref?.operationId ?? own.operationId;
  schema.summary ??= ref?.summary || own.summary;
}

type PathItem = Record<string, { operationId?: string; summary?: string } & Record<string, unknown>>;
type Doc = { paths?: Record<string, PathItem> } & Record<string, unknown>;

/**
 * The reference documents some aliases as operations of their own (v2 agents and metrics, both
 * project paths): our document lists them too, as the canonical route under the reference's id.
 */
export function documentAliases<D extends Doc>(doc: D): D {
  const paths = doc.paths ?? {};
  for (const { method, path, operationId, summary } of REFERENCE_OPERATIONS) {
    const canonical = canonicalUrl(path);
    if (canonical === path) continue;
    const source = paths[canonical]?.[method.toLowerCase()];
    if (!source || source.operationId === operationId || paths[path]?.[method.toLowerCase()]) continue;
    paths[path] = { ...(paths[path] ?? {}), [method.toLowerCase()]: { ...source, operationId, summary: summary || source.summary } };
  }
  return doc;
}
