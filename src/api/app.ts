import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { systemClock } from '../domain/clock.js';
import { registerMcpEndpoint } from '../mcp/http.js';
import { canonicalUrl } from './aliases.js';
import type { AppDeps } from './deps.js';
import { loggerOptions } from './log-lines.js';
import { applyReferenceOperation, documentAliases } from './operations.js';
import { registerAuth } from './plugins/auth.js';
import { registerBodyParsers } from './plugins/bodies.js';
import { frameworkErrors, registerErrorHandling } from './plugins/errors.js';
import { registerInputRules } from './plugins/input-rules.js';
import { registerProjectScope } from './plugins/project-scope.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { apiRoutes, userRoutes } from './routes/index.js';
import { loadWebAssets, registerWebPage } from './web.js';

export const API_PREFIX = '/test_framework/v1';
/** Where the reference serves projects. */
export const USER_PREFIX = '/user/v1';

// The operator's API (organizations and their keys) answers only the key SCENARIST_OPERATOR_KEY.
const ADMIN = /^\/admin\//;
const PUBLIC = /^\/(health|ready|openapi\.json|docs)(\/|\?|$)|^\/$|^\/(assets|static)\//;

/**
 * One short line per request, at debug, instead of Fastify's two at info: the review page polls
 * several times a second, and at info its requests would bury everything else (the key included).
 */
class RequestLines extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Made only when it will be written: most requests are polls, and debug is off by default.
    if (!error && reply.log.level !== 'debug' && reply.log.level !== 'trace') return;
    const line = `${request.method} ${request.url.split('?')[0]} ${reply.statusCode} ${Math.round(reply.elapsedTime)}ms`;
    if (error) reply.log.error({ err: error }, line);
    else reply.log.debug(line);
  }
}

export interface BuildOptions {
  logger?: boolean | Record<string, unknown>;
}

/** Builds the HTTP app over already-open dependencies; the caller owns listening and shutdown. */
export async function buildApp(deps: AppDeps, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(deps.config),
    logController: new RequestLines(),
    bodyLimit: deps.config.bodyLimit,
    // Long ids or hostile query strings must not reach handlers as anything but text.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // Errors the router answers before any hook (an over-long or malformed path) in the seed's shape too.
    frameworkErrors,
    rewriteUrl: (req) => canonicalUrl(req.url ?? '/'),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerInputRules(app);
  await registerBodyParsers(app, { uploadLimit: deps.config.uploadLimit });
  app.addHook('onRoute', applyReferenceOperation);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Scenarist API',
        version: 'v1',
        description: 'Scenario agent API, wire-compatible with the Cekura test_framework API.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'This Scenarist server' }],
      components: {
        securitySchemes: {
          api_key: { type: 'apiKey', name: 'X-CEKURA-API-KEY', in: 'header', description: 'API key of your organization.' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ api_key: [] }, { bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) => documentAliases(jsonSchemaTransformObject(doc) as Parameters<typeof documentAliases>[0]),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await registerAuth(app, deps.store, (url) => PUBLIC.test(url), {
    operatorKey: deps.config.operatorKey,
    isAdmin: (url) => ADMIN.test(url),
    cacheMs: deps.config.authCacheMs,
    now: deps.clock === systemClock ? Date.now : () => deps.clock().getTime(),
    failuresPerMinute: deps.config.authFailuresPerMinute,
  });

  registerProjectScope(app);

  await app.register(healthRoutes(deps));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  for (const routes of apiRoutes) await app.register(routes(deps), { prefix: API_PREFIX });
  await app.register(adminRoutes(deps), { prefix: '/admin' });
  for (const routes of userRoutes) await app.register(routes(deps), { prefix: USER_PREFIX });
  registerMcpEndpoint(app);
  registerWebPage(app, await loadWebAssets());

  return app;
}
