import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { deleteOwned, insertOwned, listOwned, updateOwned } from '../../store/owned-rows.js';
import { getOwned, projectOfWrite } from '../../store/ownership.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const MetricWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  agent: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
});

const Metric = z.object({
  id: z.number().int(),
  project: z.number().int().nullable(),
  agent: z.number().int().nullable(),
  name: z.string(),
  description: z.string(),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toMetric = (r: Row<'metrics'>): z.infer<typeof Metric> => ({
  id: r.id,
  project: r.project_id,
  agent: r.agent_id,
  name: r.name,
  description: r.description,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const metricRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['metrics'];

  app.get(
    '/metrics/',
    { schema: { tags, querystring: z.object({ project_id: optionalIdQuery(), agent_id: optionalIdQuery() }), response: { 200: z.array(Metric), ...errorResponses } } },
    async (req) => (await listOwned(db, 'metrics', callerOf(req).organizationId, { project_id: req.query.project_id, agent_id: req.query.agent_id })).rows.map(toMetric),
  );

  app.post('/metrics/', { schema: { tags, body: MetricWrite, response: { 201: Metric, ...errorResponses } } }, async (req, reply) => {
    const org = callerOf(req).organizationId;
    const { projectId, agentId } = await projectOfWrite(db, org, req.body, true);
    const now = isoNow(deps.clock);
    const row = await insertOwned(db, 'metrics', { organization_id: org, project_id: projectId, agent_id: agentId, name: req.body.name, description: req.body.description ?? '', created_at: now, updated_at: now });
    return reply.code(201).send(toMetric(row));
  });

  app.get('/metrics/:id/', { schema: { tags, params: IdParams, response: { 200: Metric, ...errorResponses } } }, async (req) =>
    toMetric(await getOwned(db, 'metrics', callerOf(req).organizationId, req.params.id)),
  );

  const update = async (org: number, id: number, b: Partial<z.infer<typeof MetricWrite>>) => {
    const current = await getOwned(db, 'metrics', org, id);
    const refs = b.project !== undefined || b.agent !== undefined ? await projectOfWrite(db, org, { project: b.project ?? current.project_id, agent: b.agent === undefined ? current.agent_id : b.agent }, false) : null;
    return toMetric(
      await updateOwned(db, 'metrics', org, id, {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(refs ? { project_id: refs.projectId, agent_id: refs.agentId } : {}),
        updated_at: isoNow(deps.clock),
      }),
    );
  };
  app.patch('/metrics/:id/', { schema: { tags, params: IdParams, body: MetricWrite.partial(), response: { 200: Metric, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, req.params.id, req.body),
  );
  app.put('/metrics/:id/', { schema: { tags, params: IdParams, body: MetricWrite, response: { 200: Metric, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, req.params.id, req.body),
  );

  app.delete('/metrics/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteOwned(db, 'metrics', callerOf(req).organizationId, req.params.id);
    return reply.code(204).send(null);
  });
};
