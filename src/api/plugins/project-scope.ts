import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../domain/errors.js';
import type { Store } from '../../store/db.js';
import { projectOfJob, projectsOfRows, type ScopedTable } from '../../store/key-scope.js';

/** The path's resource, by its first segment under the API prefix. */
const PATH_TABLES: Record<string, ScopedTable> = {
  projects: 'projects',
  aiagents: 'aiagents',
  scenarios: 'scenarios',
  'test-profiles': 'test_profiles',
  metrics: 'metrics',
  'knowledge-base-files': 'knowledge_base_files',
  'scenario-improvement-sessions': 'sessions',
  personalities: 'personalities',
};

/** Body and query fields that name a row, and the table each names. */
const REFERENCES: Array<[string, ScopedTable]> = [
  ['project', 'projects'],
  ['project_id', 'projects'],
  ['agent', 'aiagents'],
  ['agent_id', 'aiagents'],
  ['session_id', 'sessions'],
  ['scenario_id', 'scenarios'],
  ['scenarios', 'scenarios'],
  ['test_profile', 'test_profiles'],
  ['metrics', 'metrics'],
  ['knowledge_base', 'knowledge_base_files'],
];

const ids = (v: unknown): number[] => (Array.isArray(v) ? v : [v]).filter((x): x is number => Number.isInteger(x));

/**
 * A key limited to one project reaches nothing outside it: every id in the path, the query and the
 * body must belong to that project (or to the whole organization, like predefined personalities),
 * or the request answers 404 as for a row of another organization; a list without a project filter
 * is narrowed to the key's project, and the project list shows that project alone. Runs after
 * validation, on the parsed input, for every route at once.
 */
export function registerProjectScope(app: FastifyInstance, store: Store, prefixes: string[]): void {
  const prefixOf = (url: string) => prefixes.find((p) => url.startsWith(`${p}/`));
  // A scoped key polling a job asks the database once: a job's project changes only to none (its
  // project deleted, and that project's keys with it), and the project remembered refuses more, never less.
  const jobProjects = new Map<string, number | null>();
  const projectOfPolledJob = async (orgId: number, progressId: string) => {
    const key = `${orgId}:${progressId}`;
    if (jobProjects.has(key)) return jobProjects.get(key);
    const project = await projectOfJob(store.db, orgId, progressId);
    if (project === undefined) return undefined;
    if (jobProjects.size >= 10_000) jobProjects.delete(jobProjects.keys().next().value!);
    jobProjects.set(key, project);
    return project;
  };

  const check = async (req: FastifyRequest, scope: number, apiPrefix: string) => {
    const orgId = req.caller!.organizationId;
    const outside = (projects: Array<number | null>) => projects.some((p) => p !== null && p !== scope);
    const segment = req.url.slice(apiPrefix.length).split('/')[1] ?? '';
    const params = (req.params ?? {}) as Record<string, unknown>;
    const table = PATH_TABLES[segment];
    if (table && params.id !== undefined && outside(await projectsOfRows(store.db, orgId, table, ids(params.id)))) throw new NotFound();
    for (const part of [req.query, req.body] as unknown[]) {
      if (!part || typeof part !== 'object' || Array.isArray(part)) continue;
      const fields = part as Record<string, unknown>;
      for (const [field, refTable] of REFERENCES) {
        if (fields[field] === undefined || fields[field] === null) continue;
        if (outside(await projectsOfRows(store.db, orgId, refTable, ids(fields[field])))) throw new NotFound();
      }
      if (typeof fields.progress_id === 'string') {
        const project = await projectOfPolledJob(orgId, fields.progress_id);
        if (project !== undefined && project !== null && project !== scope) throw new NotFound();
      }
    }
    narrowList(req, scope, segment);
  };

  // Callback hooks, so a key of the whole organization (the usual one) passes without a promise.
  app.addHook('preHandler', (req, _reply, done) => {
    const scope = req.caller?.projectId;
    const apiPrefix = scope == null ? undefined : prefixOf(req.url);
    if (scope == null || apiPrefix === undefined) return done();
    check(req, scope, apiPrefix).then(() => done(), done);
  });

  // The project list has no filter to narrow: its answer is.
  app.addHook('preSerialization', (req, _reply, payload: unknown, done) => {
    const scope = req.caller?.projectId;
    const apiPrefix = scope == null ? undefined : prefixOf(req.url);
    if (scope == null || req.method !== 'GET' || apiPrefix === undefined || !req.url.startsWith(`${apiPrefix}/projects/`) || !Array.isArray(payload))
      return done(null, payload);
    done(
      null,
      payload.filter((p: { id?: unknown }) => p.id === scope),
    );
  });
}

/** Fills the project filter of a list the key did not narrow itself. */
function narrowList(req: FastifyRequest, scope: number, segment: string): void {
  if (req.method !== 'GET' || !req.query || typeof req.query !== 'object') return;
  const query = req.query as Record<string, unknown>;
  const schema = req.routeOptions.schema?.querystring as { shape?: Record<string, unknown> } | undefined;
  if (segment !== 'projects' && schema?.shape && 'project_id' in schema.shape && query.project_id === undefined && query.agent_id === undefined)
    query.project_id = scope;
}
