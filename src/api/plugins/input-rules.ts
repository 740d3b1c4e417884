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
    const check = () => {
      for (const part of [req.params, req.query, req.body]) {
        const problem = storableProblem(part);
        if (!problem) continue;
        const path = typeof problem.path[0] === 'string' ? problem.path : ['non_field_errors', ...problem.path];
        void reply.code(400).send(fieldErrorsFromIssues([{ path, message: problem.message }]));
        return;
      }
      return true;
    };
    // A body of megabytes (an apply of thousands of changes) is parsed, checked here and validated
    // against its schema in turns of the event loop of their own, so other requests get theirs between.
    if (Number(req.headers['content-length']) < BIG_BODY_BYTES) {
      if (check()) done();
      return;
    }
    setImmediate(() => {
      if (check()) setImmediate(done);
    });
  });
}

const BIG_BODY_BYTES = 256 * 1024;
