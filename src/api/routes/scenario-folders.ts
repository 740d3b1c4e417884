import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deleteFolder, moveFolder, renameFolder } from '../../services/folders.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';
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
export const scenarioFolderRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['scenarios'];

    app.post('/scenarios/rename_folder/', { schema: { tags, body: RenameFolder, response: { 200: Folder, ...errorResponses } } }, async (req) =>
      toFolder(await renameFolder(deps, callerOf(req), req.body)),
    );

    app.post('/scenarios/move_folder/', { schema: { tags, body: MoveFolder, response: { 200: Folder, ...errorResponses } } }, async (req) =>
      toFolder(await moveFolder(deps, callerOf(req), req.body)),
    );

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
        await deleteFolder(deps, callerOf(req), req.body);
        return reply.code(204).send(null);
      },
    );
  };
