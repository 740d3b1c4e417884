import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError, type FieldErrors, ValidationError } from '../../domain/errors.js';

const STATUS: Record<DomainError['kind'], number> = {
  validation: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
};

type Issue = { path?: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] };

/** Zod issues in the seed's 400 shape: the top-level field names the list, deeper paths prefix the message. */
export function fieldErrorsFromIssues(issues: ReadonlyArray<Issue>): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const path = (issue.path ?? []).map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys?.length) {
      for (const key of issue.keys) (out[[...path, key][0] ?? key] ??= []).push(`Unknown field "${[...path, key].join('.')}".`);
      continue;
    }
    const field = path[0] ?? 'non_field_errors';
    const where = path.length > 1 ? `${path.slice(1).join('.')}: ` : '';
    (out[field] ??= []).push(where + issue.message);
  }
  return out;
}

/** The router's own errors (a path segment over the length limit, a malformed URL) as `{detail}` bodies. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return void reply.code(414).send({ detail: 'Request-URI too long.' });
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  void reply.code(status).send({ detail: err.code === 'FST_ERR_BAD_URL' ? 'Malformed URL.' : err.message });
}

/** Maps every error to the seed's shapes: 400 `{field: [msgs]}`, others `{detail}`; never leaks internals. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ detail: 'Not found.' });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      // A malformed path id means no such object, as a router matching integer ids would say.
      if (err.validationContext === 'params') return reply.code(404).send({ detail: 'Not found.' });
      const issues = err.validation.map((v) => ({
        path: (v.instancePath || '').split('/').filter(Boolean),
        message: v.message ?? 'Invalid value.',
        code: v.keyword,
        keys: (v.params as { keys?: string[] } | undefined)?.keys,
      }));
      return reply.code(400).send(fieldErrorsFromIssues(issues));
    }
    if (err instanceof ValidationError) return reply.code(400).send(err.fields);
    if (err instanceof DomainError) {
      const body: Record<string, unknown> = { detail: err.message };
      if ('details' in err && err.details && typeof err.details === 'object') Object.assign(body, err.details);
      return reply.code(STATUS[err.kind]).send(body);
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply.code(500).send({ detail: 'Internal server error.' });
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.code === 'FST_REQ_FILE_TOO_LARGE') {
      return reply.code(413).send({ detail: 'Request body is too large.' });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      return reply.code(400).send({ detail: `JSON parse error - ${err.message}` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` });
    }
    if (status >= 400 && status < 500) return reply.code(status).send({ detail: err.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal server error.' });
  });
}
