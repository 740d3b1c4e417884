import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import type { Row } from '../../store/schema.js';
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../../store/projects.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime } from '../schemas.js';

export const ProjectWrite = z.strictObject({
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  max_call_duration: z.number().int().min(10).max(3600).nullable().optional().describe('Default max call duration in seconds for scenarios.'),
  monthly_budget: z.number().min(0).max(1_000_000_000).nullable().optional().describe('USD a month for model calls; a job stops before a call that would exceed it. Null: no budget.'),
});

export const Project = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  organization: z.number().int(),
  max_call_duration: z.number().int().nullable(),
  monthly_budget: z.number().nullable().describe('USD a month for model calls (see usage/)'),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toProject = (r: Row<'projects'>): z.infer<typeof Project> => ({
  id: r.id,
  name: r.name,
  description: r.description,
  organization: r.organization_id,
  max_call_duration: r.max_call_duration,
  monthly_budget: r.monthly_budget,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

export const projectRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['projects'];

  app.get('/projects/', { schema: { tags, response: { 200: z.array(Project), ...errorResponses } } }, async (req) =>
    (await listProjects(db, callerOf(req).organizationId)).map(toProject),
  );

  app.post('/projects/', { schema: { tags, body: ProjectWrite, response: { 201: Project, ...errorResponses } } }, async (req, reply) => {
    const row = await createProject(db, callerOf(req).organizationId, req.body, isoNow(deps.clock));
    return reply.code(201).send(toProject(row));
  });

  app.get('/projects/:id/', { schema: { tags, params: IdParams, response: { 200: Project, ...errorResponses } } }, async (req) =>
    toProject(await getProject(db, callerOf(req).organizationId, req.params.id)),
  );

  app.patch(
    '/projects/:id/',
    { schema: { tags, params: IdParams, body: ProjectWrite.partial(), response: { 200: Project, ...errorResponses } } },
    async (req) => toProject(await updateProject(db, callerOf(req).organizationId, req.params.id, req.body, isoNow(deps.clock))),
  );

  app.delete('/projects/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteProject(db, callerOf(req).organizationId, req.params.id);
    return reply.code(204).send(null);
  });
};
