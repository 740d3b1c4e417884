import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { LANGUAGE_CODES, type LanguageCode } from '../../domain/languages.js';
import { type AgentRecord, createAgent, deleteAgent, getAgent, listAgents, updateAgent } from '../../store/aiagents.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

export const AgentWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647),
  agent_name: z.string().trim().min(1).max(255),
  description: z.string().max(100_000).optional().describe('What the agent does: its purpose or system prompt'),
  language: z.enum(LANGUAGE_CODES).optional(),
  inbound: z.boolean().optional(),
  assistant_id: z.string().max(255).nullable().optional().describe("The provider's assistant id"),
});

export const Agent = z.object({
  id: z.number().int(),
  project: z.number().int(),
  agent_name: z.string(),
  description: z.string(),
  language: z.enum(LANGUAGE_CODES),
  inbound: z.boolean(),
  assistant_id: z.string().nullable(),
  knowledge_base_files: z.array(z.number().int()).describe('Ids of the knowledge-base files attached to the agent'),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toAgent = (r: AgentRecord): z.infer<typeof Agent> => ({
  id: r.id,
  project: r.project_id,
  agent_name: r.agent_name,
  description: r.description,
  language: r.language as LanguageCode,
  inbound: r.inbound === 1,
  assistant_id: r.assistant_id,
  knowledge_base_files: r.knowledgeBaseFileIds,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const aiagentRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['agents'];

  app.get(
    '/aiagents/',
    {
      schema: {
        tags,
        querystring: PageQuery.extend({ project_id: optionalIdQuery(), q: z.string().max(255).optional().describe('Text to find in agent_name') }),
        response: { 200: paginated(Agent), ...errorResponses },
      },
    },
    async (req) => {
      const { page, page_size, project_id, q } = req.query;
      const { count, rows } = await listAgents(db, callerOf(req).organizationId, { projectId: project_id, q }, { offset: (page - 1) * page_size, limit: page_size });
      return pageOf(req, req.query, count, rows.map(toAgent));
    },
  );

  app.post('/aiagents/', { schema: { tags, body: AgentWrite, response: { 201: Agent, ...errorResponses } } }, async (req, reply) => {
    const row = await createAgent(db, callerOf(req).organizationId, req.body, isoNow(deps.clock));
    return reply.code(201).send(toAgent(row));
  });

  app.get('/aiagents/:id/', { schema: { tags, params: IdParams, response: { 200: Agent, ...errorResponses } } }, async (req) =>
    toAgent(await getAgent(db, callerOf(req).organizationId, req.params.id)),
  );

  app.patch('/aiagents/:id/', { schema: { tags, params: IdParams, body: AgentWrite.partial(), response: { 200: Agent, ...errorResponses } } }, async (req) =>
    toAgent(await updateAgent(db, callerOf(req).organizationId, req.params.id, req.body, isoNow(deps.clock))),
  );
  app.put('/aiagents/:id/', { schema: { tags, params: IdParams, body: AgentWrite, response: { 200: Agent, ...errorResponses } } }, async (req) =>
    toAgent(await updateAgent(db, callerOf(req).organizationId, req.params.id, req.body, isoNow(deps.clock))),
  );

  app.delete('/aiagents/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteAgent(db, callerOf(req).organizationId, req.params.id);
    return reply.code(204).send(null);
  });
};
