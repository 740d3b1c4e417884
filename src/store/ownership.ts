import { NotFound, ValidationError } from '../domain/errors.js';
import type { Executor } from './db.js';
import type { Database } from './schema.js';

/** Tables whose rows belong to one organization. */
export type OwnedTable = {
  [K in keyof Database]: Database[K] extends { organization_id: number; id: unknown } ? K : never;
}[keyof Database];

/** Loads a row of the caller's organization; anything else (missing or another organization's) is 404. */
export async function getOwned<T extends OwnedTable>(db: Executor, table: T, organizationId: number, id: number) {
  const row = await (db as Executor)
    .selectFrom(table as OwnedTable)
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst();
  if (!row) throw new NotFound();
  return row as unknown as import('kysely').Selectable<Database[T]>;
}

/**
 * Checks that ids referenced by a write belong to the caller's organization, answering as a
 * serializer would: `{field: ['Invalid pk "7" - object does not exist.']}`. Another organization's
 * object is reported exactly like a missing one.
 */
export async function assertReferences(
  db: Executor,
  organizationId: number,
  refs: Array<{ field: string; table: OwnedTable; id: number | null | undefined }>,
): Promise<void> {
  const errors: Record<string, string[]> = {};
  for (const ref of refs) {
    if (ref.id == null) continue;
    const found = await db.selectFrom(ref.table).select('id').where('id', '=', ref.id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!found) (errors[ref.field] ??= []).push(`Invalid pk "${ref.id}" - object does not exist.`);
  }
  if (Object.keys(errors).length) throw new ValidationError(errors);
}

/**
 * The project and agent a write belongs to, from whichever of `project` / `agent` it names: the
 * agent's project when only the agent is given. Both must be the caller's, and agree.
 */
export async function projectOfWrite(
  db: Executor,
  organizationId: number,
  input: { project?: number | null; agent?: number | null },
  required: boolean,
): Promise<{ projectId: number | null; agentId: number | null }> {
  const errors: Record<string, string[]> = {};
  const invalid = (f: string, id: number) => (errors[f] = [`Invalid pk "${id}" - object does not exist.`]);
  let projectId = input.project ?? null;
  const agentId = input.agent ?? null;
  if (projectId !== null) {
    const p = await db.selectFrom('projects').select('id').where('id', '=', projectId).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!p) invalid('project', projectId);
  }
  if (agentId !== null) {
    const a = await db
      .selectFrom('aiagents')
      .select(['id', 'project_id'])
      .where('id', '=', agentId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    if (!a) invalid('agent', agentId);
    else if (projectId !== null && a.project_id !== projectId) errors.agent = [`Agent ${agentId} belongs to another project.`];
    else projectId = a.project_id;
  }
  if (required && input.project == null && input.agent == null) errors.non_field_errors = ['Either agent or project is required.'];
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { projectId, agentId };
}
