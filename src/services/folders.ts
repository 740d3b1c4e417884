import { ValidationError } from '../domain/errors.js';
import { type ChangesetEntry, recordChangeset } from '../store/changesets.js';
import { deleteFolderTree, repathFolder, scenarioIdsUnder } from '../store/folders.js';
import { getProject } from '../store/projects.js';
import { deleteScenarios, getScenario, updateScenario } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import { actorOf, type Caller, nowOf, type ServiceContext } from './context.js';

/** Renaming, moving and deleting folders; the scenarios in them follow, each with a revision. */

export interface FolderRef {
  path: string;
  project_id: number;
}

const checkProject = (ctx: ServiceContext, organizationId: number, projectId: number) =>
  getProject(ctx.store.db, organizationId, projectId).catch(() => {
    throw ValidationError.field('project_id', `Invalid pk "${projectId}" - object does not exist.`);
  });

/** One transaction: the folders get their new paths, then every scenario beneath is re-pointed. */
async function repath(ctx: ServiceContext, caller: Caller, body: FolderRef, to: { name: string; parentPath: string | null }): Promise<Row<'folders'>> {
  const now = () => nowOf(ctx);
  await checkProject(ctx, caller.organizationId, body.project_id);
  return ctx.store.db.transaction().execute(async (tx) => {
    const moved = await repathFolder(tx, caller.organizationId, body.project_id, body.path, to, now());
    const entries: ChangesetEntry[] = [];
    for (const s of await scenarioIdsUnder(tx, caller.organizationId, body.project_id, body.path)) {
      const folderPath = moved.path + s.folder_path.slice(body.path.length);
      const before = await getScenario(tx, caller.organizationId, s.id);
      entries.push({
        before,
        after: await updateScenario(tx, caller.organizationId, actorOf(caller), s.id, { folder_path: folderPath }, { now: now(), changeType: 'bulk_update' }),
      });
    }
    await recordChangeset(
      tx,
      { organizationId: caller.organizationId, kind: 'folder', actor: actorOf(caller), now: now(), summary: `Folder ${body.path} moved to ${moved.path}.` },
      entries,
    );
    return moved;
  });
}

/** Gives a folder a new name under the same parent. */
export function renameFolder(ctx: ServiceContext, caller: Caller, body: FolderRef & { name: string }): Promise<Row<'folders'>> {
  const { path, name } = body;
  const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : null;
  return repath(ctx, caller, body, { name, parentPath: parent });
}

/** Moves a folder, keeping its name, under another parent (null or empty: the top level). */
export function moveFolder(ctx: ServiceContext, caller: Caller, body: FolderRef & { new_parent_path?: string | null }): Promise<Row<'folders'>> {
  const { path, new_parent_path } = body;
  const name = path.slice(path.lastIndexOf('.') + 1);
  return repath(ctx, caller, body, { name, parentPath: new_parent_path || null });
}

/** Deletes the folder, every folder beneath it and every scenario in them, in one transaction. */
export async function deleteFolder(ctx: ServiceContext, caller: Caller, body: FolderRef): Promise<void> {
  const { organizationId } = caller;
  await checkProject(ctx, organizationId, body.project_id);
  await ctx.store.db.transaction().execute(async (tx) => {
    const scenarios = await scenarioIdsUnder(tx, organizationId, body.project_id, body.path);
    await deleteFolderTree(tx, organizationId, body.project_id, body.path);
    if (scenarios.length)
      await deleteScenarios(
        tx,
        organizationId,
        scenarios.map((s) => s.id),
      );
  });
}
