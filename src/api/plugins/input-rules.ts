import type { FastifyInstance } from 'fastify';
import { storableProblem } from '../../domain/storable.js';
import { fieldErrorsFromIssues } from './errors.js';

/**
 * The storable-input rule of `domain/storable.ts` at the edge, for every route at once (new routes
 * inherit it): a NUL anywhere in the path, the query string or a JSON body, or a body nested
 * deeper than the limit, is a 400 naming the field, before any schema or handler sees it.
 */
export function registerInputRules(app: FastifyInstance): void {
  app.addHook('preValidation', (req, reply, done) => {
    for (const part of [req.params, req.query, req.body]) {
      const problem = storableProblem(part);
      if (!problem) continue;
      const path = typeof problem.path[0] === 'string' ? problem.path : ['non_field_errors', ...problem.path];
      void reply.code(400).send(fieldErrorsFromIssues([{ path, message: problem.message }]));
      return;
    }
    done();
  });
}
