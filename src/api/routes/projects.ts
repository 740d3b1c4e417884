import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { getOrganization } from '../../store/organizations.js';
import { createProject, deleteProject, getProject, listProjects, updateProject } from '../../store/projects.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { readDocumented, readShape, splitDocumented, writeShape } from '../documented-fields.js';
import { callerOf } from '../plugins/auth.js';
import { PROJECT_FIELDS } from '../reference-fields.js';
import { errorResponses, IdParams, isoTime } from '../schemas.js';

export const ProjectWrite = z.strictObject({
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  max_call_duration: z.number().int().min(10).max(3600).nullable().optional().describe('Default max call duration in seconds for scenarios.'),
  ...writeShape(PROJECT_FIELDS),
  monthly_budget: z
    .number()
    .min(0)
    .max(1_000_000_000)
    .nullable()
    .optional()
    .describe('USD a month for model calls; a job stops before a call that would exceed it. Null: no budget.'),
});

/** The reference's OrganizationInline: the project's organization as an object. */
const Organization = z.object({ id: z.number().int(), name: z.string(), members: z.array(z.unknown()), created_at: isoTime(), updated_at: isoTime() });

export const Project = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  organization: Organization,
  members: z.array(z.unknown()).describe('Scenarist has no user accounts: always empty'),
  max_call_duration: z.number().int().optional().describe('Absent while the project sets no default'),
  ...readShape(PROJECT_FIELDS),
  monthly_budget: z.number().nullable().describe('USD a month for model calls (see usage/)'),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toProject = (r: Row<'projects'>, org: Row<'organizations'>): z.infer<typeof Project> => ({
  id: r.id,
  name: r.name,
  description: r.description,
  organization: { id: org.id, name: org.name, members: [], created_at: org.created_at, updated_at: org.created_at },
  members: [],
  ...(r.max_call_duration !== null ? { max_call_duration: r.max_call_duration } : {}),
  ...readDocumented(PROJECT_FIELDS, r.documented),
  monthly_budget: r.monthly_budget,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

function projectInput<B extends Partial<z.infer<typeof ProjectWrite>>>(body: B) {
  // The organization is the caller's key's; `organization_id` names it again and changes nothing.
  const { own, documented } = splitDocumented(body, PROJECT_FIELDS);
  delete documented.organization_id;
  return { ...own, documented };
}

export const projectRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['projects'];
    const organization = (organizationId: number) => getOrganization(db, organizationId);

    app.get('/projects/', { schema: { tags, description: 'A plain array.', response: { 200: z.array(Project), ...errorResponses } } }, async (req) => {
      const { organizationId } = callerOf(req);
      const org = await organization(organizationId);
      return (await listProjects(db, organizationId)).map((r) => toProject(r, org));
    });

    app.post('/projects/', { schema: { tags, body: ProjectWrite, response: { 201: Project, ...errorResponses } } }, async (req, reply) => {
      const { organizationId } = callerOf(req);
      const row = await createProject(db, organizationId, projectInput(req.body), isoNow(deps.clock));
      return reply.code(201).send(toProject(row, await organization(organizationId)));
    });

    app.get('/projects/:id/', { schema: { tags, params: IdParams, response: { 200: Project, ...errorResponses } } }, async (req) => {
      const { organizationId } = callerOf(req);
      return toProject(await getProject(db, organizationId, req.params.id), await organization(organizationId));
    });

    const update = { tags, params: IdParams, response: { 200: Project, ...errorResponses } };
    app.patch('/projects/:id/', { schema: { ...update, body: ProjectWrite.partial() } }, async (req) => {
      const { organizationId } = callerOf(req);
      return toProject(await updateProject(db, organizationId, req.params.id, projectInput(req.body), isoNow(deps.clock)), await organization(organizationId));
    });
    app.put('/projects/:id/', { schema: { ...update, body: ProjectWrite } }, async (req) => {
      const { organizationId } = callerOf(req);
      return toProject(await updateProject(db, organizationId, req.params.id, projectInput(req.body), isoNow(deps.clock)), await organization(organizationId));
    });

    // The reference answers a project's delete with 200 and no body (its other deletes answer 204).
    app.delete(
      '/projects/:id/',
      { schema: { tags, params: IdParams, response: { 200: z.undefined().describe('No response body'), ...errorResponses } } },
      async (req, reply) => {
        await deleteProject(db, callerOf(req).organizationId, req.params.id);
        return reply.code(200).send(undefined);
      },
    );
  };
