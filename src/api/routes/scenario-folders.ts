import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { ValidationError } from '../../domain/errors.js';
import { recordChangeset, type ChangesetEntry } from '../../store/changesets.js';
import { deleteFolderTree, repathFolder, scenarioIdsUnder } from '../../store/folders.js';
import { getProject } from '../../store/projects.js';
import { deleteScenarios, getScenario, updateScenario } from '../../store/scenarios.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';
import { actorOf } from '../../services/context.js';
import { Folder, toFolder } from './scenarios.js';

const ProjectId = z.number().int().positive().max(2_147_483_647);
const FolderPath = z.string().trim().min(1).max(255).describe('Dot-separated folder path, e.g. "Sales.Inbound"');

export const RenameFolder = z.strictObject({ path: FolderPath, project_id: ProjectId, name: z.string().trim().min(1).max(100) });
export const MoveFolder = z.strictObject({
  path: FolderPath,
  project_id: ProjectId,
  new_parent_path: z.string().trim().max(255).nullable().optional().describe('Null or empty: the top level'),
});
export const DeleteFolder = z.strictObject({ path: FolderPath, project_id: ProjectId });

/** Renaming, moving and deleting folders; the scenarios in them follow, each with a revision. */
export const scenarioFolderRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['scenarios'];
  const now = () => isoNow(deps.clock);

  const checkProject = (organizationId: number, projectId: number) =>
    getProject(db, organizationId, projectId).catch(() => {
      throw ValidationError.field('project_id', `Invalid pk "${projectId}" - object does not exist.`);
    });

  /** One transaction: the folders get their new paths, then every scenario beneath is re-pointed. */
  const repath = async (req: { caller: ReturnType<typeof callerOf> }, body: { path: string; project_id: number }, to: { name: string; parentPath: string | null }) => {
    const caller = req.caller;
    await checkProject(caller.organizationId, body.project_id);
    const folder = await db.transaction().execute(async (tx) => {
      const moved = await repathFolder(tx, caller.organizationId, body.project_id, body.path, to, now());
      const entries: ChangesetEntry[] = [];
      for (const s of await scenarioIdsUnder(tx, caller.organizationId, body.project_id, body.path)) {
        const folderPath = moved.path + s.folder_path.slice(body.path.length);
        const before = await getScenario(tx, caller.organizationId, s.id);
        entries.push({ before, after: await updateScenario(tx, caller.organizationId, actorOf(caller), s.id, { folder_path: folderPath }, { now: now(), changeType: 'bulk_update' }) });
      }
      await recordChangeset(tx, { organizationId: caller.organizationId, kind: 'folder', actor: actorOf(caller), now: now(), summary: `Folder ${body.path} moved to ${moved.path}.` }, entries);
      return moved;
    });
    return toFolder(folder);
  };

  app.post('/scenarios/rename_folder/', { schema: { tags, body: RenameFolder, response: { 200: Folder, ...errorResponses } } }, async (req) => {
    const { path, name } = req.body;
    const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : null;
    return repath({ caller: callerOf(req) }, req.body, { name, parentPath: parent });
  });

  app.post('/scenarios/move_folder/', { schema: { tags, body: MoveFolder, response: { 200: Folder, ...errorResponses } } }, async (req) => {
    const { path, new_parent_path } = req.body;
    const name = path.slice(path.lastIndexOf('.') + 1);
    return repath({ caller: callerOf(req) }, req.body, { name, parentPath: new_parent_path || null });
  });

  app.post(
    '/scenarios/delete_folder/',
    {
      schema: {
        tags,
        description: 'Deletes the folder, every folder beneath it and every scenario in them.',
        body: DeleteFolder,
        response: { 204: z.null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { organizationId } = callerOf(req);
      await checkProject(organizationId, req.body.project_id);
      await db.transaction().execute(async (tx) => {
        const scenarios = await scenarioIdsUnder(tx, organizationId, req.body.project_id, req.body.path);
        await deleteFolderTree(tx, organizationId, req.body.project_id, req.body.path);
        if (scenarios.length) await deleteScenarios(tx, organizationId, scenarios.map((s) => s.id));
      });
      return reply.code(204).send(null);
    },
  );
};
