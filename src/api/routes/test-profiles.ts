import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { freeFormObject } from '../../domain/storable.js';
import {
  createTestProfile,
  deleteTestProfile,
  getTestProfile,
  listTestProfiles,
  type TestProfileRecord,
  updateTestProfile,
} from '../../store/test-profiles.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { TestProfileData } from '../scenario-schema.js';
import { errorResponses, IdParams, optionalIdQuery } from '../schemas.js';

const Information = freeFormObject().describe('{"main_agent_variables": {...}, "testing_agent_variables": {...}}, or a legacy flat dict sent to both agents');

export const ProfileWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  agent: z.number().int().positive().max(2_147_483_647).nullable().optional().describe("When given without project, the project is the agent's"),
  name: z.string().trim().min(1).max(255),
  information: Information.optional(),
});

// The reference's list item (AIAgentTestProfileList) adds the scenarios using the profile.
export const ProfileListItem = TestProfileData.extend({ scenarios: z.array(z.number().int()) });

const toProfile = (p: TestProfileRecord): z.infer<typeof ProfileListItem> => ({
  id: p.row.id,
  project: p.row.project_id,
  agent: p.row.agent_id,
  agent_name: p.agentName,
  name: p.row.name,
  information: p.information,
  created_by: p.row.created_by,
  last_updated_by: p.row.last_updated_by,
  created_at: p.row.created_at,
  updated_at: p.row.updated_at,
  scenarios: p.scenarioIds,
});

export const testProfileRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['test profiles'];

    app.get(
      '/test-profiles/',
      {
        schema: {
          tags,
          description: 'A plain array.',
          querystring: z.object({ agent_id: optionalIdQuery(), project_id: optionalIdQuery() }),
          response: { 200: z.array(ProfileListItem), ...errorResponses },
        },
      },
      async (req) =>
        (await listTestProfiles(db, callerOf(req).organizationId, { agentId: req.query.agent_id, projectId: req.query.project_id })).map(toProfile),
    );

    // The reference answers a created test profile with 200, not 201; clients expect that.
    app.post('/test-profiles/', { schema: { tags, body: ProfileWrite, response: { 200: ProfileListItem, ...errorResponses } } }, async (req) => {
      const caller = callerOf(req);
      return toProfile(await createTestProfile(db, caller.organizationId, caller.keyId, req.body, isoNow(deps.clock)));
    });

    app.get('/test-profiles/:id/', { schema: { tags, params: IdParams, response: { 200: ProfileListItem, ...errorResponses } } }, async (req) =>
      toProfile(await getTestProfile(db, callerOf(req).organizationId, req.params.id)),
    );

    const update = (caller: { organizationId: number; keyId: number }, id: number, body: Partial<z.infer<typeof ProfileWrite>>) =>
      updateTestProfile(db, caller.organizationId, caller.keyId, id, body, isoNow(deps.clock)).then(toProfile);
    app.patch(
      '/test-profiles/:id/',
      { schema: { tags, params: IdParams, body: ProfileWrite.partial(), response: { 200: ProfileListItem, ...errorResponses } } },
      async (req) => update(callerOf(req), req.params.id, req.body),
    );
    app.put(
      '/test-profiles/:id/',
      { schema: { tags, params: IdParams, body: ProfileWrite, response: { 200: ProfileListItem, ...errorResponses } } },
      async (req) => update(callerOf(req), req.params.id, req.body),
    );

    app.delete('/test-profiles/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteTestProfile(db, callerOf(req).organizationId, req.params.id);
      return reply.code(204).send(null);
    });
  };
