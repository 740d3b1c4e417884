import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { ValidationError } from '../../domain/errors.js';
import { LANGUAGE_CODES, type LanguageCode } from '../../domain/languages.js';
import { deleteOwned, insertOwned, listOwned, updateOwned } from '../../store/owned-rows.js';
import { getOwned, projectOfWrite } from '../../store/ownership.js';
import type { Executor } from '../../store/db.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const AgentWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647),
  agent_name: z.string().trim().min(1).max(255),
  description: z.string().max(100_000).optional().describe('What the agent does: its purpose or system prompt'),
  language: z.enum(LANGUAGE_CODES).optional(),
  inbound: z.boolean().optional(),
  assistant_id: z.string().max(255).nullable().optional().describe("The provider's assistant id"),
});

const Agent = z.object({
  id: z.number().int(),
  project: z.number().int(),
  agent_name: z.string(),
  description: z.string(),
  language: z.enum(LANGUAGE_CODES),
  inbound: z.boolean(),
  assistant_id: z.string().nullable(),
  knowledge_base_files: z.array(z.number().int()),
  created_at: isoTime(),
  updated_at: isoTime(),
});

async function toAgents(db: Executor, rows: Row<'aiagents'>[]): Promise<Array<z.infer<typeof Agent>>> {
  const files = rows.length
    ? await db.selectFrom('knowledge_base_files').select(['id', 'agent_id']).where('agent_id', 'in', rows.map((r) => r.id)).orderBy('id').execute()
    : [];
  return rows.map((r) => ({
    id: r.id,
    project: r.project_id,
    agent_name: r.agent_name,
    description: r.description,
    language: r.language as LanguageCode,
    inbound: r.inbound === 1,
    assistant_id: r.assistant_id,
    knowledge_base_files: files.filter((f) => f.agent_id === r.id).map((f) => f.id),
    created_at: r.created_at,
    updated_at: r.updated_at,
  }));
}

export const aiagentRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['agents'];
  const one = async (row: Row<'aiagents'>) => (await toAgents(db, [row]))[0]!;

  app.get(
    '/aiagents/',
    { schema: { tags, querystring: PageQuery.extend({ project_id: optionalIdQuery(), q: z.string().max(255).optional() }), response: { 200: paginated(Agent), ...errorResponses } } },
    async (req) => {
      const { page, page_size, project_id, q } = req.query;
      const { count, rows } = await listOwned(db, 'aiagents', callerOf(req).organizationId, { project_id }, { offset: (page - 1) * page_size, limit: page_size }, q ? { column: 'agent_name', text: q } : undefined);
      return pageOf(req, req.query, count, await toAgents(db, rows));
    },
  );

  app.post('/aiagents/', { schema: { tags, body: AgentWrite, response: { 201: Agent, ...errorResponses } } }, async (req, reply) => {
    const org = callerOf(req).organizationId;
    await projectOfWrite(db, org, { project: req.body.project }, true);
    const now = isoNow(deps.clock);
    const b = req.body;
    const row = await insertOwned(db, 'aiagents', {
      organization_id: org,
      project_id: b.project,
      agent_name: b.agent_name,
      description: b.description ?? '',
      language: b.language ?? 'en',
      inbound: b.inbound === false ? 0 : 1,
      assistant_id: b.assistant_id ?? null,
      created_at: now,
      updated_at: now,
    });
    return reply.code(201).send(await one(row));
  });

  app.get('/aiagents/:id/', { schema: { tags, params: IdParams, response: { 200: Agent, ...errorResponses } } }, async (req) =>
    one(await getOwned(db, 'aiagents', callerOf(req).organizationId, req.params.id)),
  );

  const update = async (org: number, id: number, b: Partial<z.infer<typeof AgentWrite>>) => {
    const current = await getOwned(db, 'aiagents', org, id);
    if (b.project !== undefined && b.project !== current.project_id) {
      throw ValidationError.field('project', 'An agent cannot move to another project.');
    }
    const row = await updateOwned(db, 'aiagents', org, id, {
      ...(b.agent_name !== undefined ? { agent_name: b.agent_name } : {}),
      ...(b.description !== undefined ? { description: b.description } : {}),
      ...(b.language !== undefined ? { language: b.language } : {}),
      ...(b.inbound !== undefined ? { inbound: b.inbound ? 1 : 0 } : {}),
      ...(b.assistant_id !== undefined ? { assistant_id: b.assistant_id } : {}),
      updated_at: isoNow(deps.clock),
    });
    return one(row);
  };
  app.patch('/aiagents/:id/', { schema: { tags, params: IdParams, body: AgentWrite.partial(), response: { 200: Agent, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, req.params.id, req.body),
  );
  app.put('/aiagents/:id/', { schema: { tags, params: IdParams, body: AgentWrite, response: { 200: Agent, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, req.params.id, req.body),
  );

  app.delete('/aiagents/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteOwned(db, 'aiagents', callerOf(req).organizationId, req.params.id);
    return reply.code(204).send(null);
  });
};
