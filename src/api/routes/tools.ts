import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { NotFound, ValidationError } from '../../domain/errors.js';
import { PREDEFINED_TOOL_IDS, PREDEFINED_TOOLS } from '../../domain/tools.js';
import { insertOwned } from '../../store/owned-rows.js';
import { projectOfWrite } from '../../store/ownership.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, optionalIdQuery } from '../schemas.js';

const Tool = z.object({ id: z.string(), name: z.string(), description: z.string(), project: z.number().int().nullable(), is_predefined: z.boolean() });
const ToolWrite = z.strictObject({
  id: z.string().regex(/^[A-Z][A-Z0-9_]{2,63}$/, 'Use capitals, digits and underscores, e.g. TOOL_LOOKUP_ORDER.'),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  project: z.number().int().positive().max(2_147_483_647).nullable().optional(),
});
const ToolParams = z.object({ tool_id: z.string().max(64) });

const PREDEFINED = PREDEFINED_TOOLS.map((t) => ({ id: t.id as string, name: t.name as string, description: t.description as string, project: null, is_predefined: true }));
const toTool = (r: Row<'tools'>): z.infer<typeof Tool> => ({ id: r.tool_id, name: r.name, description: r.description, project: r.project_id, is_predefined: false });
const READ_ONLY = 'Predefined tools cannot be changed.';

export const toolRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['tools'];
  const own = (org: number, toolId: string) => db.selectFrom('tools').selectAll().where('organization_id', '=', org).where('tool_id', '=', toolId).executeTakeFirst();

  app.get(
    '/tools/',
    { schema: { tags, querystring: PageQuery.extend({ project_id: optionalIdQuery(), agent_id: optionalIdQuery(), search: z.string().max(255).optional() }), response: { 200: paginated(Tool), ...errorResponses } } },
    async (req) => {
      const { page, page_size, project_id, search } = req.query;
      let q = db.selectFrom('tools').selectAll().where('organization_id', '=', callerOf(req).organizationId);
      if (project_id) q = q.where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', project_id)]));
      const all = [...PREDEFINED, ...(await q.orderBy('id').execute()).map(toTool)];
      const s = search?.toLowerCase();
      const hits = s ? all.filter((t) => t.name.toLowerCase().includes(s) || t.id.toLowerCase().includes(s)) : all;
      return pageOf(req, req.query, hits.length, hits.slice((page - 1) * page_size, page * page_size));
    },
  );

  app.post('/tools/', { schema: { tags, body: ToolWrite, response: { 201: Tool, ...errorResponses } } }, async (req, reply) => {
    const org = callerOf(req).organizationId;
    const b = req.body;
    if (PREDEFINED_TOOL_IDS.has(b.id) || (await own(org, b.id))) throw ValidationError.field('id', `Tool "${b.id}" already exists.`);
    await projectOfWrite(db, org, { project: b.project }, false);
    const row = await insertOwned(db, 'tools', { organization_id: org, project_id: b.project ?? null, tool_id: b.id, name: b.name, description: b.description ?? '', created_at: isoNow(deps.clock) });
    return reply.code(201).send(toTool(row));
  });

  const find = async (org: number, toolId: string) => {
    const predefined = PREDEFINED.find((t) => t.id === toolId);
    if (predefined) return { predefined };
    const row = await own(org, toolId);
    if (!row) throw new NotFound();
    return { row };
  };

  app.get('/tools/:tool_id/', { schema: { tags, params: ToolParams, response: { 200: Tool, ...errorResponses } } }, async (req) => {
    const found = await find(callerOf(req).organizationId, req.params.tool_id);
    return found.predefined ?? toTool(found.row!);
  });

  app.patch(
    '/tools/:tool_id/',
    { schema: { tags, params: ToolParams, body: ToolWrite.omit({ id: true, project: true }).partial(), response: { 200: Tool, ...errorResponses } } },
    async (req) => {
      const org = callerOf(req).organizationId;
      const found = await find(org, req.params.tool_id);
      if (found.predefined) throw ValidationError.field('non_field_errors', READ_ONLY);
      const row = await db.updateTable('tools').set(req.body).where('id', '=', found.row!.id).where('organization_id', '=', org).returningAll().executeTakeFirstOrThrow();
      return toTool(row);
    },
  );

  app.delete('/tools/:tool_id/', { schema: { tags, params: ToolParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    const org = callerOf(req).organizationId;
    const found = await find(org, req.params.tool_id);
    if (found.predefined) throw ValidationError.field('non_field_errors', READ_ONLY);
    await db.deleteFrom('tools').where('id', '=', found.row!.id).where('organization_id', '=', org).execute();
    return reply.code(204).send(null);
  });
};
