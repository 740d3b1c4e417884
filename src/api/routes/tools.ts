import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { createTool, deleteTool, getTool, listTools, TOOL_ID_PATTERN, updateTool } from '../../store/tools.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, optionalIdQuery } from '../schemas.js';

export const Tool = z.object({
  id: z.string().describe('The id scenarios name in tool_ids, e.g. TOOL_DTMF'),
  name: z.string(),
  description: z.string(),
  project: z.number().int().nullable(),
  is_predefined: z.boolean(),
});
export const ToolWrite = z.strictObject({
  id: z.string().regex(TOOL_ID_PATTERN, 'Use 3–64 capitals, digits and underscores, starting with a letter, e.g. TOOL_LOOKUP_ORDER.'),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  project: z.number().int().positive().max(2_147_483_647).nullable().optional().describe('Null: usable in every project'),
});
const ToolParams = z.object({ tool_id: z.string().max(64) });

export const toolRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
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
      return pageOf(req, req.query, all.length, all.slice((page - 1) * page_size, page * page_size));
    },
  );

  app.post('/tools/', { schema: { tags, body: ToolWrite, response: { 201: Tool, ...errorResponses } } }, async (req, reply) =>
    reply.code(201).send(await createTool(db, callerOf(req).organizationId, req.body, isoNow(deps.clock))),
  );

  app.get('/tools/:tool_id/', { schema: { tags, params: ToolParams, response: { 200: Tool, ...errorResponses } } }, async (req) =>
    getTool(db, callerOf(req).organizationId, req.params.tool_id),
  );

  app.patch('/tools/:tool_id/', { schema: { tags, params: ToolParams, body: ToolWrite.partial(), response: { 200: Tool, ...errorResponses } } }, async (req) =>
    updateTool(db, callerOf(req).organizationId, req.params.tool_id, req.body),
  );
  app.put('/tools/:tool_id/', { schema: { tags, params: ToolParams, body: ToolWrite, response: { 200: Tool, ...errorResponses } } }, async (req) =>
    updateTool(db, callerOf(req).organizationId, req.params.tool_id, req.body),
  );

  app.delete('/tools/:tool_id/', { schema: { tags, params: ToolParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteTool(db, callerOf(req).organizationId, req.params.tool_id);
    return reply.code(204).send(null);
  });
};
