import { ValidationError } from '../domain/errors.js';
import type { Executor } from './db.js';
import type { Row } from './schema.js';
import { containsText } from './text-search.js';

/** Folders are named by dot-paths ("Sales.Inbound"); each level is created on its own. */
export async function folderPathExists(db: Executor, organizationId: number, projectId: number, path: string): Promise<boolean> {
  const row = await db
    .selectFrom('folders')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .where('path', '=', path)
    .executeTakeFirst();
  return !!row;
}

export async function createFolder(
  db: Executor,
  organizationId: number,
  input: { name: string; parent_path?: string | null | undefined; project_id: number },
  now: string,
): Promise<Row<'folders'>> {
  const parent = input.parent_path?.trim() || null;
  if (input.name.includes('.')) throw ValidationError.field('name', 'A folder name cannot contain "."; create each level separately.');
  if (parent && !(await folderPathExists(db, organizationId, input.project_id, parent))) {
    throw ValidationError.field('parent_path', `Folder "${parent}" does not exist in this project.`);
  }
  const path = parent ? `${parent}.${input.name}` : input.name;
  if (await folderPathExists(db, organizationId, input.project_id, path)) {
    throw ValidationError.field('name', `Folder "${path}" already exists.`);
  }
  return db
    .insertInto('folders')
    .values({ organization_id: organizationId, project_id: input.project_id, name: input.name, path, parent_path: parent, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listFolders(
  db: Executor,
  organizationId: number,
  filter: { projectId: number; parentPath?: string; search?: string },
  page: { offset: number; limit: number },
): Promise<{ count: number; rows: Row<'folders'>[] }> {
  let q = db.selectFrom('folders').where('organization_id', '=', organizationId).where('project_id', '=', filter.projectId);
  if (filter.parentPath !== undefined) q = filter.parentPath === '' ? q.where('parent_path', 'is', null) : q.where('parent_path', '=', filter.parentPath);
  if (filter.search) q = q.where(containsText('name', filter.search));
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.selectAll().orderBy('path').offset(page.offset).limit(page.limit).execute();
  return { count: Number(n), rows };
}

export async function folderPaths(db: Executor, organizationId: number, projectId: number): Promise<string[]> {
  const rows = await db.selectFrom('folders').select('path').where('organization_id', '=', organizationId).where('project_id', '=', projectId).orderBy('path').execute();
  return rows.map((r) => r.path);
}
