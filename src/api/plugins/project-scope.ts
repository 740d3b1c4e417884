import type { FastifyInstance } from 'fastify';
import { withProjectScope } from '../../store/key-scope.js';

/**
 * A key limited to one project: its request is served inside that project's scope, so every query
 * the route and its use-cases make is narrowed in the store (`store/key-scope.ts`). A row of another
 * project answers as missing, as another organization's does. Set after validation, once the
 * caller is known; other keys pay nothing.
 */
export function registerProjectScope(app: FastifyInstance): void {
  app.addHook('preHandler', (req, _reply, done) => {
    const scope = req.caller?.projectId;
    if (scope == null) return done();
    // The route's handler runs from `done`, so it and all it starts run in the scope.
    withProjectScope(scope, done);
  });
}
