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
  const rows = await db
    .selectFrom('folders')
    .select('path')
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .orderBy('path')
    .execute();
  return rows.map((r) => r.path);
}

const under = (path: string, root: string) => path === root || path.startsWith(`${root}.`);

/** A folder of a project by path, or a 400 naming `path`. */
export async function getFolder(db: Executor, organizationId: number, projectId: number, path: string): Promise<Row<'folders'>> {
  const row = await db
    .selectFrom('folders')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .where('path', '=', path)
    .executeTakeFirst();
  if (!row) throw ValidationError.field('path', `Folder "${path}" does not exist in this project.`);
  return row;
}

/** Ids of the scenarios in a folder or any folder beneath it. */
export async function scenarioIdsUnder(
  db: Executor,
  organizationId: number,
  projectId: number,
  root: string,
): Promise<Array<{ id: number; folder_path: string }>> {
  const rows = await db
    .selectFrom('scenarios')
    .select(['id', 'folder_path'])
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .where('folder_path', 'is not', null)
    .execute();
  return rows.filter((r) => under(r.folder_path!, root)).map((r) => ({ id: r.id, folder_path: r.folder_path! }));
}

/**
 * Gives a folder (and every folder beneath it) a new path: renamed in place or moved under another
 * parent. Scenarios in them are re-pointed by the caller, which records their revisions.
 */
export async function repathFolder(
  db: Executor,
  organizationId: number,
  projectId: number,
  from: string,
  to: { name: string; parentPath: string | null },
  now: string,
): Promise<Row<'folders'>> {
  const folder = await getFolder(db, organizationId, projectId, from);
  if (to.name.includes('.')) throw ValidationError.field('name', 'A folder name cannot contain "."; create each level separately.');
  if (to.parentPath && under(to.parentPath, from)) throw ValidationError.field('new_parent_path', 'A folder cannot move into itself or a folder beneath it.');
  if (to.parentPath && !(await folderPathExists(db, organizationId, projectId, to.parentPath))) {
    throw ValidationError.field('new_parent_path', `Folder "${to.parentPath}" does not exist in this project.`);
  }
  const target = to.parentPath ? `${to.parentPath}.${to.name}` : to.name;
  if (target === from) return folder;
  if (await folderPathExists(db, organizationId, projectId, target)) throw ValidationError.field('name', `Folder "${target}" already exists.`);
  const all = await db.selectFrom('folders').selectAll().where('organization_id', '=', organizationId).where('project_id', '=', projectId).execute();
  for (const f of all.filter((x) => under(x.path, from))) {
    const path = target + f.path.slice(from.length);
    const parent = f.id === folder.id ? to.parentPath : target + f.parent_path!.slice(from.length);
    await db
      .updateTable('folders')
      .set({ path, parent_path: parent, name: f.id === folder.id ? to.name : f.name, updated_at: now })
      .where('id', '=', f.id)
      .execute();
  }
  return db.selectFrom('folders').selectAll().where('id', '=', folder.id).executeTakeFirstOrThrow();
}

/** Deletes a folder and every folder beneath it; the caller deletes their scenarios first. */
export async function deleteFolderTree(db: Executor, organizationId: number, projectId: number, root: string): Promise<void> {
  await getFolder(db, organizationId, projectId, root);
  const all = await db.selectFrom('folders').select(['id', 'path']).where('organization_id', '=', organizationId).where('project_id', '=', projectId).execute();
  const ids = all.filter((f) => under(f.path, root)).map((f) => f.id);
  if (ids.length) await db.deleteFrom('folders').where('id', 'in', ids).execute();
}

/** Creates every missing level of a dot-path ("Sales.Inbound"), as duplicate's `folder_path` does. */
export async function ensureFolderPath(db: Executor, organizationId: number, projectId: number, path: string, now: string): Promise<void> {
  const levels = path.split('.').map((p) => p.trim());
  if (levels.some((l) => !l)) throw ValidationError.field('folder_path', `"${path}" is not a folder path.`);
  for (let i = 0; i < levels.length; i++) {
    const here = levels.slice(0, i + 1).join('.');
    if (await folderPathExists(db, organizationId, projectId, here)) continue;
    await createFolder(db, organizationId, { name: levels[i]!, parent_path: i ? levels.slice(0, i).join('.') : null, project_id: projectId }, now);
  }
}
