import { NotFound, ValidationError } from '../domain/errors.js';
import { PREDEFINED_TOOL_IDS, PREDEFINED_TOOLS } from '../domain/tools.js';
import { isUniqueViolation } from './data-errors.js';
import type { Executor } from './db.js';
import { insertOwned } from './owned-rows.js';
import { projectOfWrite } from './ownership.js';
import type { Row } from './schema.js';
import { containsText } from './text-search.js';

/** A tool as callers see it: predefined ones and the organization's own share one shape. */
export interface ToolView {
  id: string;
  /** The integer id the reference gives a tool: a predefined tool's is fixed below zero, an own tool's is its row's. */
  number: number;
  name: string;
  description: string;
  project: number | null;
  is_predefined: boolean;
}

export interface ToolInput {
  id: string;
  name: string;
  description?: string;
  project?: number | null;
}

export const TOOL_ID_PATTERN = /^[A-Z][A-Z0-9_]{2,63}$/;
export const PREDEFINED_TOOL_READ_ONLY = 'Predefined tools cannot be changed or deleted.';

// Below zero, so they never meet the row ids of an organization's own tools.
const PREDEFINED: ToolView[] = PREDEFINED_TOOLS.map((t, i) => ({
  id: t.id,
  number: -(i + 1),
  name: t.name,
  description: t.description,
  project: null,
  is_predefined: true,
}));

export const toToolView = (r: Row<'tools'>): ToolView => ({
  id: r.tool_id,
  number: r.id,
  name: r.name,
  description: r.description,
  project: r.project_id,
  is_predefined: false,
});

/** The `TOOL_*` id of the tool with an integer id (as the reference names tools), or the text itself. */
export async function toolIdOf(db: Executor, organizationId: number, ref: string): Promise<string> {
  // One spelling per id, as for every path id: `01` is not tool 1 (predefined tools are numbered below zero).
  if (!/^-?[1-9]\d{0,9}$/.test(ref)) return ref;
  const n = Number(ref);
  const predefined = PREDEFINED.find((t) => t.number === n);
  if (predefined) return predefined.id;
  const row =
    n > 0 && n <= 2_147_483_647
      ? await db.selectFrom('tools').select('tool_id').where('organization_id', '=', organizationId).where('id', '=', n).executeTakeFirst()
      : undefined;
  if (!row) throw new NotFound();
  return row.tool_id;
}

function ownTool(db: Executor, organizationId: number, toolId: string) {
  return db.selectFrom('tools').selectAll().where('organization_id', '=', organizationId).where('tool_id', '=', toolId).executeTakeFirst();
}

/**
 * The predefined tools, then the organization's own, narrowed to those usable in a project (or the
 * project of an agent) and to those whose id or name contains `search`. A project or agent that is
 * not the caller's matches nothing, as any other unknown filter does.
 */
export async function listTools(db: Executor, organizationId: number, filter: { projectId?: number; agentId?: number; search?: string }): Promise<ToolView[]> {
  const projectIds = new Set<number>();
  if (filter.projectId !== undefined) {
    const p = await db.selectFrom('projects').select('id').where('id', '=', filter.projectId).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!p) return [];
    projectIds.add(p.id);
  }
  if (filter.agentId !== undefined) {
    const a = await db
      .selectFrom('aiagents')
      .select('project_id')
      .where('id', '=', filter.agentId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    if (!a) return [];
    projectIds.add(a.project_id);
  }
  // An agent of another project than the one asked for has no tools in common with it.
  if (projectIds.size > 1) return [];
  const projectId = [...projectIds][0];
  let q = db.selectFrom('tools').selectAll().where('organization_id', '=', organizationId);
  if (projectId !== undefined) q = q.where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]));
  const all = [...PREDEFINED, ...(await q.orderBy('id').execute()).map(toToolView)];
  const s = filter.search?.trim().toLowerCase();
  return s ? all.filter((t) => t.name.toLowerCase().includes(s) || t.id.toLowerCase().includes(s)) : all;
}

/** A predefined tool or one of the organization's; anything else is 404. */
export async function getTool(db: Executor, organizationId: number, toolId: string): Promise<ToolView> {
  const predefined = PREDEFINED.find((t) => t.id === toolId);
  if (predefined) return predefined;
  const row = await ownTool(db, organizationId, toolId);
  if (!row) throw new NotFound();
  return toToolView(row);
}

async function editable(db: Executor, organizationId: number, toolId: string): Promise<Row<'tools'>> {
  if (PREDEFINED_TOOL_IDS.has(toolId)) throw ValidationError.field('non_field_errors', PREDEFINED_TOOL_READ_ONLY);
  const row = await ownTool(db, organizationId, toolId);
  if (!row) throw new NotFound();
  return row;
}

export async function createTool(db: Executor, organizationId: number, input: ToolInput, now: string): Promise<ToolView> {
  const taken = () => ValidationError.field('id', `A tool with id "${input.id}" already exists.`);
  if (PREDEFINED_TOOL_IDS.has(input.id) || (await ownTool(db, organizationId, input.id))) throw taken();
  await projectOfWrite(db, organizationId, { project: input.project }, false);
  try {
    const row = await insertOwned(db, 'tools', {
      organization_id: organizationId,
      project_id: input.project ?? null,
      tool_id: input.id,
      name: input.name,
      description: input.description ?? '',
      created_at: now,
    });
    return toToolView(row);
  } catch (e) {
    // Two concurrent creates of one id, or an id another project of the organization holds (which
    // a key limited to one project cannot see): the unique constraint says so, and so do we.
    if (isUniqueViolation(e)) throw taken();
    throw e;
  }
}

export async function updateTool(db: Executor, organizationId: number, toolId: string, patch: Partial<ToolInput>): Promise<ToolView> {
  const row = await editable(db, organizationId, toolId);
  // Scenarios name tools by id, so an id is fixed once created.
  if (patch.id !== undefined && patch.id !== toolId) throw ValidationError.field('id', 'A tool id cannot be changed; create a new tool instead.');
  if (patch.project !== undefined) await projectOfWrite(db, organizationId, { project: patch.project }, false);
  const set = {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.project !== undefined ? { project_id: patch.project } : {}),
  };
  // A PATCH with nothing to change answers the tool as it is, like every other update.
  if (!Object.keys(set).length) return toToolView(row);
  const updated = await db
    .updateTable('tools')
    .set(set)
    .where('id', '=', row.id)
    .where('organization_id', '=', organizationId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toToolView(updated);
}

/** Refuses while scenarios name the tool: they could not be saved again with an id that no longer exists. */
export async function deleteTool(db: Executor, organizationId: number, toolId: string): Promise<void> {
  const row = await editable(db, organizationId, toolId);
  // The text match narrows the rows (case is ignored there, so it may over-match); the parsed list decides.
  const candidates = await db
    .selectFrom('scenarios')
    .select('tool_ids')
    .where('organization_id', '=', organizationId)
    .where(containsText('tool_ids', `"${toolId}"`))
    .execute();
  const used = candidates.filter((c) => (JSON.parse(c.tool_ids) as string[]).includes(toolId)).length;
  if (used > 0)
    throw ValidationError.field(
      'non_field_errors',
      `${used} scenario${used === 1 ? '' : 's'} use${used === 1 ? 's' : ''} this tool; remove it from ${used === 1 ? 'it' : 'them'} first.`,
    );
  await db.deleteFrom('tools').where('id', '=', row.id).where('organization_id', '=', organizationId).execute();
}
