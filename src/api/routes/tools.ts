import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';

export const toolRoutes = (_deps: AppDeps): FastifyPluginAsyncZod => async () => {};
