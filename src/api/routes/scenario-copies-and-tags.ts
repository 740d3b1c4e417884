import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addTagsToScenarios, duplicateScenarios, scenarioTagsInScope } from '../../services/scenario-copies-and-tags.js';
import { scenarioViews } from '../../store/scenario-views.js';
import type { AppDeps } from '../deps.js';
import { paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { BulkWritten, bulkWritten, ScenarioOut } from '../scenario-schema.js';
import { errorResponses, optionalIdQuery } from '../schemas.js';

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
export const AddTagsResult = BulkWritten.extend({
  scenario_ids: z.array(z.number().int()).describe('The scenarios named'),
  tags_added: z.array(z.string()).describe('The tags added, once each'),
  updated_count: z.number().int().describe('How many of them gained a tag (the others had every one already)'),
});
export const TagsResult = z.object({ tags: z.array(z.string()).describe('Every tag used by the scenarios in scope, sorted') });

/** Copying scenarios (within a project or to another) and tagging them in bulk. */
export const scenarioCopyAndTagRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['scenarios'];

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
        const rows = await duplicateScenarios(deps, caller, req.body);
        const results = await scenarioViews(db, caller.organizationId, rows);
        return reply.code(201).send({ count: results.length, next: null, previous: null, results });
      },
    );

    app.post(
      '/scenarios/add_tags/',
      {
        schema: {
          tags,
          description:
            'Adds tags to every scenario given (tags they already have are kept once). Answers the first scenario (by id), as the reference documents one Scenario, with every scenario named in `results`.',
          body: AddTagsBody,
          response: { 200: AddTagsResult, ...errorResponses },
        },
      },
      async (req) => {
        const caller = callerOf(req);
        const { tags: added, updated_count, scenarios } = await addTagsToScenarios(deps, caller, req.body);
        const views = await scenarioViews(db, caller.organizationId, scenarios);
        return { ...bulkWritten(views), scenario_ids: req.body.scenarios, tags_added: added, updated_count };
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
      async (req) => ({ tags: await scenarioTagsInScope(deps, callerOf(req), { projectId: req.query.project_id, agentId: req.query.agent_id }) }),
    );
  };
