import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { createMetric, deleteMetric, getMetric, listMetrics, updateMetric } from '../../store/metrics.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { readDocumented, readShape, splitDocumented, writeShape } from '../documented-fields.js';
import { callerOf } from '../plugins/auth.js';
import { METRIC_FIELDS } from '../reference-fields.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

export const MetricWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  agent: z.number().int().positive().max(2_147_483_647).nullable().optional().describe("When given without project, the project is the agent's"),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  ...writeShape(METRIC_FIELDS),
});

export const Metric = z.object({
  id: z.number().int(),
  project: z.number().int().nullable(),
  agent: z.number().int().nullable(),
  name: z.string(),
  description: z.string(),
  ...readShape(METRIC_FIELDS),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toMetric = (r: Row<'metrics'>): z.infer<typeof Metric> => ({
  id: r.id,
  project: r.project_id,
  agent: r.agent_id,
  name: r.name,
  description: r.description,
  ...readDocumented(METRIC_FIELDS, r.documented),
  created_at: r.created_at,
  updated_at: r.updated_at,
});

function metricInput<B extends Partial<z.infer<typeof MetricWrite>>>(body: B) {
  const { own, documented } = splitDocumented(body, METRIC_FIELDS);
  return { ...own, documented };
}

export const metricRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['metrics'];

    app.get(
      '/metrics/',
      {
        schema: {
          tags,
          description: 'A plain array.',
          querystring: z.object({ project_id: optionalIdQuery(), agent_id: optionalIdQuery() }),
          response: { 200: z.array(Metric), ...errorResponses },
        },
      },
      async (req) => (await listMetrics(db, callerOf(req).organizationId, { projectId: req.query.project_id, agentId: req.query.agent_id })).map(toMetric),
    );

    app.post('/metrics/', { schema: { tags, body: MetricWrite, response: { 201: Metric, ...errorResponses } } }, async (req, reply) => {
      const row = await createMetric(db, callerOf(req).organizationId, metricInput(req.body), isoNow(deps.clock));
      return reply.code(201).send(toMetric(row));
    });

    app.get('/metrics/:id/', { schema: { tags, params: IdParams, response: { 200: Metric, ...errorResponses } } }, async (req) =>
      toMetric(await getMetric(db, callerOf(req).organizationId, req.params.id)),
    );

    app.patch('/metrics/:id/', { schema: { tags, params: IdParams, body: MetricWrite.partial(), response: { 200: Metric, ...errorResponses } } }, async (req) =>
      toMetric(await updateMetric(db, callerOf(req).organizationId, req.params.id, metricInput(req.body), isoNow(deps.clock))),
    );
    app.put('/metrics/:id/', { schema: { tags, params: IdParams, body: MetricWrite, response: { 200: Metric, ...errorResponses } } }, async (req) =>
      toMetric(await updateMetric(db, callerOf(req).organizationId, req.params.id, metricInput(req.body), isoNow(deps.clock))),
    );

    app.delete('/metrics/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteMetric(db, callerOf(req).organizationId, req.params.id);
      return reply.code(204).send(null);
    });
  };
