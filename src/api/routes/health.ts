import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ping } from '../../store/db.js';
import type { AppDeps } from '../deps.js';

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/health', { schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

    app.get(
      '/ready',
      {
        schema: {
          hide: true,
          response: { 200: z.object({ status: z.string(), database: z.string() }), 503: z.object({ status: z.string(), database: z.string() }) },
        },
      },
      async (_req, reply) => {
        try {
          await ping(deps.store);
          return { status: 'ready', database: 'ok' };
        } catch (err) {
          return reply.code(503).send({ status: 'unavailable', database: err instanceof Error ? err.message : String(err) });
        }
      },
    );
  };
