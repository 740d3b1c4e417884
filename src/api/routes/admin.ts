import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { Unauthorized } from '../../domain/errors.js';
import { idInText, rowId } from '../../domain/storable.js';
import {
  createApiKey,
  createOrganizationWithKey,
  getOrganization,
  listApiKeys,
  listOrganizations,
  renameOrganization,
  revokeApiKey,
} from '../../store/organizations.js';
import type { AppDeps } from '../deps.js';
import { Detail, errorResponses } from '../schemas.js';

/** An API key as the operator sees it: never its secret, which is shown once when it is made. */
export const ApiKeyOut = z.object({
  id: z.number().int(),
  organization: z.number().int(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it'),
  project: z.number().int().nullable().describe('The one project the key may reach; null: every project of the organization'),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
const Organization = z.object({ id: z.number().int(), name: z.string(), created_at: z.string() });
const OrgName = z.strictObject({ name: z.string().trim().min(1).max(255) });
const KeyWrite = z.strictObject({ name: z.string().trim().min(1).max(255).default('api'), project: rowId().nullable().optional() });
const OrgParams = z.object({ id: idInText() });
const KeyParams = z.object({ id: idInText(), key_id: idInText() });

type KeyRow = Awaited<ReturnType<typeof listApiKeys>>[number];
const toKey = (k: KeyRow): z.infer<typeof ApiKeyOut> => ({
  id: k.id,
  organization: k.organization_id,
  name: k.name,
  prefix: k.prefix,
  project: k.project_id,
  created_at: k.created_at,
  last_used_at: k.last_used_at,
  revoked_at: k.revoked_at,
});

/**
 * The operator's API: organizations (create, list, rename) and their keys (create, list, revoke).
 * Only the operator key from SCENARIST_OPERATOR_KEY opens it (see plugins/auth.ts); without one
 * configured it answers 404.
 */
export const adminRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['admin'];
    const now = () => isoNow(deps.clock);
    const responses = { ...errorResponses, 429: Detail };
    app.addHook('preHandler', async (req) => {
      if (!req.operator) throw new Unauthorized();
    });

    app.get('/organizations/', { schema: { tags, response: { 200: z.array(Organization), ...responses } } }, async () => listOrganizations(db));

    app.post(
      '/organizations/',
      {
        schema: {
          tags,
          body: OrgName,
          response: { 201: Organization.extend({ project_id: z.number().int(), key: z.string().describe('Shown once') }), ...responses },
        },
      },
      async (req, reply) => {
        const made = await db.transaction().execute((tx) => createOrganizationWithKey(tx, req.body.name, now()));
        return reply.code(201).send({ ...made.organization, project_id: made.projectId, key: made.key });
      },
    );

    app.patch('/organizations/:id/', { schema: { tags, params: OrgParams, body: OrgName, response: { 200: Organization, ...responses } } }, async (req) =>
      renameOrganization(db, req.params.id, req.body.name),
    );

    app.get('/organizations/:id/keys/', { schema: { tags, params: OrgParams, response: { 200: z.array(ApiKeyOut), ...responses } } }, async (req) => {
      await getOrganization(db, req.params.id);
      return (await listApiKeys(db, req.params.id)).map(toKey);
    });

    app.post(
      '/organizations/:id/keys/',
      { schema: { tags, params: OrgParams, body: KeyWrite, response: { 201: ApiKeyOut.extend({ key: z.string().describe('Shown once') }), ...responses } } },
      async (req, reply) => {
        await getOrganization(db, req.params.id);
        const { key, row } = await createApiKey(db, req.params.id, req.body.name, now(), req.body.project ?? null);
        return reply.code(201).send({ ...toKey(row), key });
      },
    );

    app.post('/organizations/:id/keys/:key_id/revoke/', { schema: { tags, params: KeyParams, response: { 200: ApiKeyOut, ...responses } } }, async (req) => {
      const row = await revokeApiKey(db, req.params.id, req.params.key_id, now());
      // This process's cache forgets the key before the answer: the next request may come at once.
      deps.store.keyEvents.revoked();
      return toKey(row);
    });
  };
