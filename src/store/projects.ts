import type { Executor } from './db.js';
import { mergeDocumented } from './owned-rows.js';
import { getOwned } from './ownership.js';
import type { Row } from './schema.js';

export interface ProjectInput {
  name: string;
  description?: string;
  max_call_duration?: number | null;
  /** Documented fields kept without behaviour; merged into what is kept on update. */
  documented?: Record<string, unknown>;
  monthly_budget?: number | null;
}

export function listProjects(db: Executor, organizationId: number): Promise<Row<'projects'>[]> {
  return db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
}

export function getProject(db: Executor, organizationId: number, id: number): Promise<Row<'projects'>> {
  return getOwned(db, 'projects', organizationId, id);
}

export async function projectExists(db: Executor, organizationId: number, id: number): Promise<boolean> {
  return !!(await db.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst());
}

export function createProject(db: Executor, organizationId: number, input: ProjectInput, now: string): Promise<Row<'projects'>> {
  return db
    .insertInto('projects')
    .values({
      organization_id: organizationId,
      name: input.name,
      description: input.description ?? '',
      max_call_duration: input.max_call_duration ?? null,
      documented: JSON.stringify(input.documented ?? {}),
      monthly_budget: input.monthly_budget ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateProject(db: Executor, organizationId: number, id: number, patch: Partial<ProjectInput>, now: string): Promise<Row<'projects'>> {
  const current = await getProject(db, organizationId, id);
  const { documented, ...rest } = patch;
  return db
    .updateTable('projects')
    .set({ ...rest, ...(documented ? { documented: mergeDocumented(current.documented, documented) } : {}), updated_at: now })
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteProject(db: Executor, organizationId: number, id: number): Promise<void> {
  await getProject(db, organizationId, id);
  await db.deleteFrom('projects').where('id', '=', id).where('organization_id', '=', organizationId).execute();
}
