import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { ValidationError } from '../../domain/errors.js';
import { NAME_MAX, type ScenarioCreate } from '../../domain/scenario.js';
import { recordChangeset, type ChangesetEntry } from '../../store/changesets.js';
import { ensureFolderPath } from '../../store/folders.js';
import { getProject } from '../../store/projects.js';
import { scenarioViews } from '../../store/scenario-views.js';
import { createScenario, listScenarios, loadScenarios, scenarioFieldsOf, updateScenario } from '../../store/scenarios.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { ScenarioOut } from '../scenario-schema.js';
import { errorResponses, optionalIdQuery } from '../schemas.js';
import { actorOf } from '../../services/context.js';

const Id = z.number().int().positive().max(2_147_483_647);
const Ids = z.array(Id).min(1).max(10_000);
const Tag = z.string().trim().min(1).max(100);

export const DuplicateBody = z.strictObject({
  project: Id.describe('Project the scenarios are in'),
  copy_to_project: Id.describe('Project to copy them to (the same project for a copy beside the original)'),
  scenarios: Ids,
  scenario_agent: Id.optional().describe('Agent of the copies; default: the original agent in the same project, none in another'),
  folder_path: z.string().trim().max(255).optional().describe('Folder of the copies, created when needed'),
});
export const AddTagsBody = z.strictObject({ scenarios: Ids, tags: z.array(Tag).min(1).max(100) });
export const AddTagsResult = z.object({ scenario_ids: z.array(z.number().int()), tags: z.array(z.string()), updated_count: z.number().int() });
export const TagsResult = z.object({ tags: z.array(z.string()).describe('Every tag used by the scenarios in scope, sorted') });

const missingPks = (ids: number[], found: Row<'scenarios'>[]) => {
  const known = new Set(found.map((r) => r.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) throw new ValidationError({ scenarios: missing.slice(0, 20).map((id) => `Invalid pk "${id}" - object does not exist.`) });
};

/** Copying scenarios (within a project or to another) and tagging them in bulk. */
export const scenarioCopyAndTagRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['scenarios'];
  const now = () => isoNow(deps.clock);

  app.post(
    '/scenarios/duplicate/',
    {
      schema: {
        tags,
        description:
          'Copies scenarios, named "Copy of <name>". A copy in the same project keeps its metrics and test profile; a copy in another project keeps neither (they belong to the source project).',
        body: DuplicateBody,
        response: { 201: paginated(ScenarioOut), ...errorResponses },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      const b = req.body;
      for (const [field, id] of [['project', b.project], ['copy_to_project', b.copy_to_project]] as const) {
        await getProject(db, caller.organizationId, id).catch(() => {
          throw ValidationError.field(field, `Invalid pk "${id}" - object does not exist.`);
        });
      }
      const sameProject = b.project === b.copy_to_project;
      const rows = await db.transaction().execute(async (tx) => {
        const originals = (await loadScenarios(tx, caller.organizationId, b.scenarios)).filter((r) => r.project_id === b.project);
        missingPks(b.scenarios, originals);
        if (b.folder_path) await ensureFolderPath(tx, caller.organizationId, b.copy_to_project, b.folder_path, now());
        const copies: Row<'scenarios'>[] = [];
        for (const original of originals) {
          // The stored fields were valid when written; the create checks them again for the destination.
          const f = scenarioFieldsOf(original) as ScenarioCreate & ReturnType<typeof scenarioFieldsOf>;
          copies.push(
            await createScenario(tx, caller.organizationId, actorOf(caller), {
              ...f,
              name: `Copy of ${f.name}`.slice(0, NAME_MAX),
              project: b.copy_to_project,
              agent: b.scenario_agent ?? (sameProject ? f.agent : null),
              metrics: sameProject ? f.metrics : [],
              test_profile: sameProject ? f.test_profile : null,
              folder_path: b.folder_path !== undefined ? b.folder_path || null : sameProject ? f.folder_path : null,
            }, now()),
          );
        }
        await recordChangeset(tx, { organizationId: caller.organizationId, kind: 'bulk_create', actor: actorOf(caller), now: now(), summary: 'Copies.' }, copies.map((r) => ({ before: null, after: r })));
        return copies;
      });
      const results = await scenarioViews(db, caller.organizationId, rows);
      return reply.code(201).send({ count: results.length, next: null, previous: null, results });
    },
  );

  app.post(
    '/scenarios/add_tags/',
    { schema: { tags, description: 'Adds tags to every scenario given (tags they already have are kept once).', body: AddTagsBody, response: { 200: AddTagsResult, ...errorResponses } } },
    async (req) => {
      const caller = callerOf(req);
      const wanted = [...new Set(req.body.tags)];
      const updated = await db.transaction().execute(async (tx) => {
        const rows = await loadScenarios(tx, caller.organizationId, req.body.scenarios);
        missingPks(req.body.scenarios, rows);
        const entries: ChangesetEntry[] = [];
        for (const row of rows) {
          const current = scenarioFieldsOf(row).tags;
          const next = [...new Set([...current, ...wanted])];
          if (next.length === current.length) continue;
          entries.push({ before: row, after: await updateScenario(tx, caller.organizationId, actorOf(caller), row.id, { tags: next }, { now: now(), changeType: 'bulk_update' }) });
        }
        await recordChangeset(tx, { organizationId: caller.organizationId, kind: 'tags', actor: actorOf(caller), now: now(), summary: `Tags added: ${wanted.join(', ')}.` }, entries);
        return entries.length;
      });
      return { scenario_ids: req.body.scenarios, tags: wanted, updated_count: updated };
    },
  );

  app.get(
    '/scenarios/tags/',
    {
      schema: {
        tags,
        querystring: z.object({ project_id: optionalIdQuery(), agent_id: optionalIdQuery() }),
        response: { 200: TagsResult, ...errorResponses },
      },
    },
    async (req) => {
      const { organizationId } = callerOf(req);
      const found = new Set<string>();
      const pageSize = 1000;
      for (let offset = 0; ; offset += pageSize) {
        const { rows } = await listScenarios(db, organizationId, { projectId: req.query.project_id, agentId: req.query.agent_id }, { offset, limit: pageSize });
        for (const r of rows) for (const t of scenarioFieldsOf(r).tags) found.add(t);
        if (rows.length < pageSize) break;
      }
      return { tags: [...found].sort() };
    },
  );
};
