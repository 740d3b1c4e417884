import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { ValidationError } from '../../domain/errors.js';
import { LANGUAGE_CODES, type LanguageCode } from '../../domain/languages.js';
import { deleteOwned, insertOwned, updateOwned } from '../../store/owned-rows.js';
import { getOwned, projectOfWrite } from '../../store/ownership.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const PersonalityWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  prompt: z.string().max(100_000).optional().describe('How the simulated caller behaves'),
  language: z.enum(LANGUAGE_CODES).optional(),
  accent: z.string().max(255).optional(),
});

const Personality = z.object({
  id: z.number().int(),
  project: z.number().int().nullable(),
  name: z.string(),
  description: z.string(),
  prompt: z.string(),
  language: z.enum(LANGUAGE_CODES),
  accent: z.string(),
  is_predefined: z.boolean(),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toPersonality = (r: Row<'personalities'>): z.infer<typeof Personality> => ({
  id: r.id,
  project: r.project_id,
  name: r.name,
  description: r.description,
  prompt: r.prompt,
  language: r.language as LanguageCode,
  accent: r.accent,
  is_predefined: r.is_predefined === 1,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

const READ_ONLY = 'Predefined personalities cannot be changed; create your own instead.';

export const personalityRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['personalities'];

  app.get(
    '/personalities/',
    {
      schema: {
        tags,
        description: "The organization's predefined personalities and its own (those of `project_id` when given).",
        querystring: z.object({ project_id: optionalIdQuery(), language: z.string().max(20).optional() }),
        response: { 200: z.array(Personality), ...errorResponses },
      },
    },
    async (req) => {
      let q = db.selectFrom('personalities').selectAll().where('organization_id', '=', callerOf(req).organizationId);
      const { project_id, language } = req.query;
      if (project_id) q = q.where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', project_id)]));
      if (language) q = q.where('language', '=', language);
      return (await q.orderBy('id').execute()).map(toPersonality);
    },
  );

  app.post('/personalities/', { schema: { tags, body: PersonalityWrite, response: { 201: Personality, ...errorResponses } } }, async (req, reply) => {
    const org = callerOf(req).organizationId;
    const b = req.body;
    await projectOfWrite(db, org, { project: b.project }, false);
    const now = isoNow(deps.clock);
    const row = await insertOwned(db, 'personalities', {
      organization_id: org,
      project_id: b.project ?? null,
      name: b.name,
      description: b.description ?? '',
      prompt: b.prompt ?? b.description ?? '',
      language: b.language ?? 'en',
      accent: b.accent ?? '',
      is_predefined: 0,
      created_at: now,
      updated_at: now,
    });
    return reply.code(201).send(toPersonality(row));
  });

  app.get('/personalities/:id/', { schema: { tags, params: IdParams, response: { 200: Personality, ...errorResponses } } }, async (req) =>
    toPersonality(await getOwned(db, 'personalities', callerOf(req).organizationId, req.params.id)),
  );

  const update = async (org: number, id: number, b: Partial<z.infer<typeof PersonalityWrite>>) => {
    const current = await getOwned(db, 'personalities', org, id);
    if (current.is_predefined) throw ValidationError.field('non_field_errors', READ_ONLY);
    await projectOfWrite(db, org, { project: b.project }, false);
    const { project, ...rest } = b;
    return toPersonality(await updateOwned(db, 'personalities', org, id, { ...rest, ...(project !== undefined ? { project_id: project } : {}), updated_at: isoNow(deps.clock) }));
  };
  app.patch('/personalities/:id/', { schema: { tags, params: IdParams, body: PersonalityWrite.partial(), response: { 200: Personality, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, req.params.id, req.body),
  );
  app.put('/personalities/:id/', { schema: { tags, params: IdParams, body: PersonalityWrite, response: { 200: Personality, ...errorResponses } } }, async (req) =>
    update(callerOf(req).organizationId, req.params.id, req.body),
  );

  app.delete('/personalities/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    const org = callerOf(req).organizationId;
    const current = await getOwned(db, 'personalities', org, req.params.id);
    if (current.is_predefined) throw ValidationError.field('non_field_errors', READ_ONLY);
    const used = await db.selectFrom('scenarios').select((eb) => eb.fn.countAll<number>().as('n')).where('personality_id', '=', current.id).executeTakeFirstOrThrow();
    if (Number(used.n) > 0) throw ValidationError.field('non_field_errors', `${Number(used.n)} scenario(s) use this personality; give them another one first.`);
    await deleteOwned(db, 'personalities', org, current.id);
    return reply.code(204).send(null);
  });
};
