import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { MAX_INT } from '../../domain/storable.js';
import { createTool, deleteTool, getTool, listTools, TOOL_ID_PATTERN, type ToolInput, type ToolView, toolIdOf, updateTool } from '../../store/tools.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, optionalIdQuery } from '../schemas.js';

export const Tool = z.object({
  id: z.number().int().describe("The tool's integer id, as the reference types it (the predefined tools' are below zero)"),
  tool_id: z.string().describe('The id scenarios name in tool_ids, e.g. TOOL_DTMF'),
  name: z.string(),
  description: z.string(),
  project: z.number().int().nullable(),
  is_predefined: z.boolean(),
});
const toolIdText = z.string().regex(TOOL_ID_PATTERN, 'Use 3–64 capitals, digits and underscores, starting with a letter, e.g. TOOL_LOOKUP_ORDER.');
const toolWriteShape = {
  tool_id: toolIdText.optional().describe('The id scenarios name in tool_ids'),
  // Earlier Scenarist took the text id as `id`; an integer `id` is the read-only one a client read back.
  id: z
    .union([toolIdText, z.number().int().min(-MAX_INT).max(MAX_INT)])
    .optional()
    .describe('tool_id, as earlier clients send it; an integer is ignored'),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  project: z.number().int().positive().max(2_147_483_647).nullable().optional().describe('Null: usable in every project'),
};
const named = (b: { tool_id?: string; id?: string | number }, ctx: z.RefinementCtx) => {
  if (b.tool_id === undefined && typeof b.id !== 'string') ctx.addIssue({ code: 'custom', path: ['tool_id'], message: 'This field is required.' });
};
export const ToolWrite = z.strictObject(toolWriteShape).superRefine(named);
const ToolPatch = z.strictObject(toolWriteShape).partial();
const ToolParams = z.object({ tool_id: z.string().max(64).describe('The integer id or the TOOL_* id') });

type ToolBody = z.infer<typeof ToolPatch>;
/** The store's input: the text id under its one name. */
function toolInput({ tool_id, id, ...rest }: ToolBody): Partial<ToolInput> {
  const text = tool_id ?? (typeof id === 'string' ? id : undefined);
  return text === undefined ? rest : { ...rest, id: text };
}
const toTool = ({ number, id, ...rest }: ToolView): z.infer<typeof Tool> => ({ id: number, tool_id: id, ...rest });

export const toolRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['tools'];

    app.get(
      '/tools/',
      {
        schema: {
          tags,
          description: "The predefined tools, then the organization's own.",
          querystring: PageQuery.extend({ project_id: optionalIdQuery(), agent_id: optionalIdQuery(), search: z.string().max(255).optional() }),
          response: { 200: paginated(Tool), ...errorResponses },
        },
      },
      async (req) => {
        const { page, page_size, project_id, agent_id, search } = req.query;
        const all = await listTools(db, callerOf(req).organizationId, { projectId: project_id, agentId: agent_id, search });
        return pageOf(req, req.query, all.length, all.slice((page - 1) * page_size, page * page_size).map(toTool));
      },
    );

    app.post('/tools/', { schema: { tags, body: ToolWrite, response: { 201: Tool, ...errorResponses } } }, async (req, reply) =>
      reply.code(201).send(toTool(await createTool(db, callerOf(req).organizationId, toolInput(req.body) as ToolInput, isoNow(deps.clock)))),
    );

    const toolOf = (req: { params: { tool_id: string } } & Parameters<typeof callerOf>[0]) => toolIdOf(db, callerOf(req).organizationId, req.params.tool_id);

    app.get('/tools/:tool_id/', { schema: { tags, params: ToolParams, response: { 200: Tool, ...errorResponses } } }, async (req) =>
      toTool(await getTool(db, callerOf(req).organizationId, await toolOf(req))),
    );

    app.patch('/tools/:tool_id/', { schema: { tags, params: ToolParams, body: ToolPatch, response: { 200: Tool, ...errorResponses } } }, async (req) =>
      toTool(await updateTool(db, callerOf(req).organizationId, await toolOf(req), toolInput(req.body))),
    );
    app.put('/tools/:tool_id/', { schema: { tags, params: ToolParams, body: ToolWrite, response: { 200: Tool, ...errorResponses } } }, async (req) =>
      toTool(await updateTool(db, callerOf(req).organizationId, await toolOf(req), toolInput(req.body))),
    );

    app.delete('/tools/:tool_id/', { schema: { tags, params: ToolParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteTool(db, callerOf(req).organizationId, await toolOf(req));
      return reply.code(204).send(null);
    });
  };
