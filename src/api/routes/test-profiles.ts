import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import type { Executor } from '../../store/db.js';
import { deleteOwned, insertOwned, listOwned, updateOwned } from '../../store/owned-rows.js';
import { getOwned, projectOfWrite } from '../../store/ownership.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { TestProfileData } from '../scenario-schema.js';
import { errorResponses, IdParams, optionalIdQuery } from '../schemas.js';

const Information = z
  .record(z.string().max(255), z.unknown())
  .describe('{"main_agent_variables": {...}, "testing_agent_variables": {...}}, or a legacy flat dict sent to both agents');

const ProfileWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  agent: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  name: z.string().trim().min(1).max(255),
  information: Information.optional(),
});

const ProfileListItem = TestProfileData.extend({ scenarios: z.array(z.number().int()) });

async function toProfiles(db: Executor, rows: Row<'test_profiles'>[]) {
  const agentIds = [...new Set(rows.flatMap((r) => (r.agent_id === null ? [] : [r.agent_id])))];
  const ids = rows.map((r) => r.id);
  const [agents, scenarios] = await Promise.all([
    agentIds.length ? db.selectFrom('aiagents').select(['id', 'agent_name']).where('id', 'in', agentIds).execute() : [],
    ids.length ? db.selectFrom('scenarios').select(['id', 'test_profile_id']).where('test_profile_id', 'in', ids).orderBy('id').execute() : [],
  ]);
  return rows.map((r) => ({
    id: r.id,
    project: r.project_id,
    agent: r.agent_id,
    agent_name: agents.find((a) => a.id === r.agent_id)?.agent_name ?? '',
    name: r.name,
    information: JSON.parse(r.information) as Record<string, unknown>,
    created_by: r.created_by,
    last_updated_by: r.last_updated_by,
    created_at: r.created_at,
    updated_at: r.updated_at,
    scenarios: scenarios.filter((s) => s.test_profile_id === r.id).map((s) => s.id),
  }));
}

export const testProfileRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['test profiles'];
  const one = async (r: Row<'test_profiles'>) => (await toProfiles(db, [r]))[0]!;

  app.get(
    '/test-profiles/',
    { schema: { tags, querystring: z.object({ agent_id: optionalIdQuery(), project_id: optionalIdQuery() }), response: { 200: z.array(ProfileListItem), ...errorResponses } } },
    async (req) => {
      const { rows } = await listOwned(db, 'test_profiles', callerOf(req).organizationId, { agent_id: req.query.agent_id, project_id: req.query.project_id });
      return toProfiles(db, rows);
    },
  );

  // The reference answers a created test profile with 200, not 201; clients expect that.
  app.post('/test-profiles/', { schema: { tags, body: ProfileWrite, response: { 200: ProfileListItem, ...errorResponses } } }, async (req) => {
    const caller = callerOf(req);
    const { projectId, agentId } = await projectOfWrite(db, caller.organizationId, req.body, true);
    const now = isoNow(deps.clock);
    const row = await insertOwned(db, 'test_profiles', {
      organization_id: caller.organizationId,
      project_id: projectId,
      agent_id: agentId,
      name: req.body.name,
      information: JSON.stringify(req.body.information ?? {}),
      created_by: caller.keyId,
      last_updated_by: caller.keyId,
      created_at: now,
      updated_at: now,
    });
    return one(row);
  });

  app.get('/test-profiles/:id/', { schema: { tags, params: IdParams, response: { 200: ProfileListItem, ...errorResponses } } }, async (req) =>
    one(await getOwned(db, 'test_profiles', callerOf(req).organizationId, req.params.id)),
  );

  const update = async (org: number, keyId: number, id: number, b: Partial<z.infer<typeof ProfileWrite>>) => {
    const current = await getOwned(db, 'test_profiles', org, id);
    const refs = b.project !== undefined || b.agent !== undefined ? await projectOfWrite(db, org, { project: b.project ?? current.project_id, agent: b.agent === undefined ? current.agent_id : b.agent }, false) : null;
    const row = await updateOwned(db, 'test_profiles', org, id, {
      ...(b.name !== undefined ? { name: b.name } : {}),
      // `information` is replaced as a whole, as the reference does.
      ...(b.information !== undefined ? { information: JSON.stringify(b.information) } : {}),
      ...(refs ? { project_id: refs.projectId, agent_id: refs.agentId } : {}),
      last_updated_by: keyId,
      updated_at: isoNow(deps.clock),
    });
    return one(row);
  };
  app.patch('/test-profiles/:id/', { schema: { tags, params: IdParams, body: ProfileWrite.partial(), response: { 200: ProfileListItem, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, callerOf(req).keyId, req.params.id, req.body),
  );
  app.put('/test-profiles/:id/', { schema: { tags, params: IdParams, body: ProfileWrite, response: { 200: ProfileListItem, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, callerOf(req).keyId, req.params.id, req.body),
  );

  app.delete('/test-profiles/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteOwned(db, 'test_profiles', callerOf(req).organizationId, req.params.id);
    return reply.code(204).send(null);
  });
};
