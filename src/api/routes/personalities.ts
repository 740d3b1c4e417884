import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { LANGUAGE_CODES, type LanguageCode } from '../../domain/languages.js';
import { createPersonality, deletePersonality, getPersonality, listPersonalities, updatePersonality } from '../../store/personalities.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { readDocumented, readShape, splitDocumented, writeShape } from '../documented-fields.js';
import { callerOf } from '../plugins/auth.js';
import { PERSONALITY_FIELDS } from '../reference-fields.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

export const PersonalityWrite = z.strictObject({
  project: z.number().int().positive().max(2_147_483_647).nullable().optional().describe('Null: usable in every project'),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(10_000).optional(),
  prompt: z.string().max(100_000).optional().describe('How the simulated caller behaves'),
  language: z.enum(LANGUAGE_CODES).optional(),
  accent: z.string().max(255).optional(),
  ...writeShape(PERSONALITY_FIELDS),
});

export const Personality = z.object({
  id: z.number().int(),
  // The reference types it as an integer: a personality of no one project (the predefined set) has none.
  project: z.number().int().optional().describe('Absent for a personality usable in every project'),
  name: z.string(),
  description: z.string(),
  prompt: z.string(),
  language: z.enum(LANGUAGE_CODES),
  accent: z.string(),
  is_predefined: z.boolean().describe('Predefined personalities ship with every organization and are read-only'),
  ...readShape(PERSONALITY_FIELDS),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const toPersonality = (r: Row<'personalities'>): z.infer<typeof Personality> => ({
  id: r.id,
  ...(r.project_id !== null ? { project: r.project_id } : {}),
  name: r.name,
  description: r.description,
  prompt: r.prompt,
  language: r.language as LanguageCode,
  accent: r.accent,
  is_predefined: r.is_predefined === 1,
  ...readDocumented(PERSONALITY_FIELDS, r.documented),
  created_at: r.created_at,
  updated_at: r.updated_at,
});

function personalityInput<B extends Partial<z.infer<typeof PersonalityWrite>>>(body: B) {
  const { own, documented } = splitDocumented(body, PERSONALITY_FIELDS);
  return { ...own, documented };
}

export const personalityRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['personalities'];

    app.get(
      '/personalities/',
      {
        schema: {
          tags,
          description: "The organization's predefined personalities and its own (those usable in `project_id` when given). A plain array.",
          querystring: z.object({ project_id: optionalIdQuery(), language: z.string().max(20).optional() }),
          response: { 200: z.array(Personality), ...errorResponses },
        },
      },
      async (req) =>
        (await listPersonalities(db, callerOf(req).organizationId, { projectId: req.query.project_id, language: req.query.language })).map(toPersonality),
    );

    app.post('/personalities/', { schema: { tags, body: PersonalityWrite, response: { 201: Personality, ...errorResponses } } }, async (req, reply) => {
      const row = await createPersonality(db, callerOf(req).organizationId, personalityInput(req.body), isoNow(deps.clock));
      return reply.code(201).send(toPersonality(row));
    });

    app.get('/personalities/:id/', { schema: { tags, params: IdParams, response: { 200: Personality, ...errorResponses } } }, async (req) =>
      toPersonality(await getPersonality(db, callerOf(req).organizationId, req.params.id)),
    );

    app.patch(
      '/personalities/:id/',
      { schema: { tags, params: IdParams, body: PersonalityWrite.partial(), response: { 200: Personality, ...errorResponses } } },
      async (req) => toPersonality(await updatePersonality(db, callerOf(req).organizationId, req.params.id, personalityInput(req.body), isoNow(deps.clock))),
    );
    app.put(
      '/personalities/:id/',
      { schema: { tags, params: IdParams, body: PersonalityWrite, response: { 200: Personality, ...errorResponses } } },
      async (req) => toPersonality(await updatePersonality(db, callerOf(req).organizationId, req.params.id, personalityInput(req.body), isoNow(deps.clock))),
    );

    app.delete('/personalities/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deletePersonality(db, callerOf(req).organizationId, req.params.id);
      return reply.code(204).send(null);
    });
  };
