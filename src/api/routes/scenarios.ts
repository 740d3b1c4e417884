import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { ValidationError } from '../../domain/errors.js';
import { ScenarioCreate, ScenarioPatch, scenarioWritableShape } from '../../domain/scenario.js';
import { idInText, rowId } from '../../domain/storable.js';
import {
  bulkCreateScenarios,
  bulkDeleteScenarios,
  bulkUpdateScenarios,
  createOneScenario,
  deleteOneScenario,
  importScenarios,
  revertToRevision,
  updateOneScenario,
} from '../../services/scenarios.js';
import { createFolder, listFolders } from '../../store/folders.js';
import { getProject } from '../../store/projects.js';
import { scenarioView, scenarioViews } from '../../store/scenario-views.js';
import { countRevisions, getScenario, listRevisions, listScenarios } from '../../store/scenarios.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { type Caller, callerOf } from '../plugins/auth.js';
import { BulkWritten, bulkWritten, ScenarioOut } from '../scenario-schema.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const BULK_MAX = 10_000;
const requiredId = idInText;

export const ListQuery = PageQuery.extend({
  project_id: optionalIdQuery(),
  agent_id: optionalIdQuery(),
  assistant_id: z.string().max(255).optional(),
  tags: z.string().max(2000).optional().describe('Comma-separated tags'),
  tag_filter_type: z.enum(['and', 'or', 'not']).default('or'),
  folder_path: z.string().max(255).optional().describe('Empty string lists scenarios without a folder'),
  search: z.string().max(255).optional(),
});

export const Folder = z.object({
  name: z.string(),
  path: z.string(),
  parent_path: z.string().nullable(),
  project_id: z.number().int(),
  created_at: isoTime(),
  updated_at: isoTime(),
});
export const FolderCreate = z.strictObject({
  name: z.string().trim().min(1).max(100),
  parent_path: z.string().max(255).nullable().optional(),
  project_id: z.number().int().positive().max(2_147_483_647),
});
export const FolderQuery = PageQuery.extend({ project_id: requiredId(), parent_path: z.string().max(255).optional(), search: z.string().max(255).optional() });

export const Revision = z.object({
  id: z.number().int(),
  scenario_id: z.number().int(),
  revision: z.number().int(),
  change_type: z.string(),
  changed_fields: z.record(z.string(), z.object({ old: z.unknown(), new: z.unknown() })),
  actor: z.object({ key_id: z.number().int().nullable(), name: z.string() }),
  reason: z.string(),
  created_at: isoTime(),
  source_progress_id: z.string().nullable().describe('The job whose suggestions this revision applied; null for any other write'),
  edited_by_user: z.array(z.string()).describe('The fields whose applied value the reviewer corrected before applying (empty when none)'),
});

export const History = z.looseObject({
  history_id: z.number().int(),
  history_date: isoTime(),
  history_type: z.enum(['+', '~', '-']),
  history_change_reason: z.string().nullable(),
  history_user: z.null().describe('Scenarist has API keys, not users: the key that made the change is `actor`'),
  actor: z.object({ key_id: z.number().int().nullable(), name: z.string() }),
  version_id: z.string().describe('The revision number, as text'),
  source_progress_id: Revision.shape.source_progress_id,
  edited_by_user: Revision.shape.edited_by_user,
});

/** The scenario as the reference's ScenarioSerializerV2 answers a restore. */
const RestoredScenario = ScenarioOut.extend({ phone_number: z.number().int().nullable().describe("The phone number's id") });

export const BulkUpdate = z.strictObject({
  scenarios: z.array(rowId()).min(1).max(BULK_MAX),
  agent: scenarioWritableShape.agent.optional(),
  project: scenarioWritableShape.project.optional(),
  metric_ids_to_add: z.array(z.number().int().positive()).max(200).optional(),
  metric_ids_to_remove: z.array(z.number().int().positive()).max(200).optional(),
  tool_ids_to_add: z.array(z.string().min(1).max(100)).max(200).optional(),
  tool_ids_to_remove: z.array(z.string().min(1).max(100)).max(200).optional(),
  personality: scenarioWritableShape.personality.optional(),
  test_profile: scenarioWritableShape.test_profile.optional(),
  append_instruction: z.string().max(100_000).optional(),
  first_message: scenarioWritableShape.first_message.optional(),
  folder_path: scenarioWritableShape.folder_path.optional(),
  max_duration: scenarioWritableShape.max_duration.optional(),
});

export const ScenarioImport = z
  .strictObject({
    project_id: rowId(),
    create: z.array(ScenarioCreate).max(BULK_MAX).default([]).describe('New scenarios; their `project` is `project_id`'),
    update: z
      .array(z.strictObject({ id: rowId(), fields: ScenarioPatch }))
      .max(BULK_MAX)
      .default([])
      .describe('Scenarios of the project and the fields to write to each'),
    delete: z.array(rowId()).max(BULK_MAX).default([]).describe('Scenarios of the project to delete'),
  })
  .refine((b) => b.create.length + b.update.length + b.delete.length <= BULK_MAX, {
    message: `At most ${BULK_MAX} scenarios in one import.`,
    path: ['non_field_errors'],
  });

export const ImportResult = z.object({
  changeset_id: z.number().int().nullable().describe('The changeset that undoes the whole import; null when it changed nothing'),
  created: z.array(z.number().int()).describe('Ids of the created scenarios, in the order of `create`'),
  updated: z.array(z.number().int()),
  deleted: z.array(z.number().int()),
});

export const BulkDelete = z.strictObject({
  scenarios: z.array(rowId()).min(1).max(BULK_MAX),
  agent_id: rowId().optional(),
  project_id: rowId().optional(),
});

const offsetOf = (p: { page: number; page_size: number }) => ({ offset: (p.page - 1) * p.page_size, limit: p.page_size });

export const toFolder = (f: Row<'folders'>) => ({
  name: f.name,
  path: f.path,
  parent_path: f.parent_path,
  project_id: f.project_id,
  created_at: f.created_at,
  updated_at: f.updated_at,
});

/** Where a revision's values came from: the job applied, and the fields the reviewer corrected. */
const originOf = (r: Row<'scenario_revisions'>) => ({
  source_progress_id: r.source_progress_id,
  edited_by_user: r.edited_fields === null ? [] : (JSON.parse(r.edited_fields) as string[]),
});

const toRevision = (r: Row<'scenario_revisions'>): z.infer<typeof Revision> => ({
  id: r.id,
  scenario_id: r.scenario_id,
  revision: r.revision,
  change_type: r.change_type,
  changed_fields: JSON.parse(r.changed_fields),
  actor: { key_id: r.actor_key_id, name: r.actor },
  reason: r.reason,
  created_at: r.created_at,
  ...originOf(r),
});

/** The reference's django-simple-history shape for the same revision rows. */
const toHistory = (r: Row<'scenario_revisions'>) => ({
  history_id: r.id,
  history_date: r.created_at,
  history_type: r.change_type === 'create' ? ('+' as const) : ('~' as const),
  history_change_reason: r.reason || r.change_type,
  history_user: null,
  actor: { key_id: r.actor_key_id, name: r.actor },
  version_id: String(r.revision),
  version_name: `Revision ${r.revision}`,
  changed_fields: JSON.parse(r.changed_fields) as unknown,
  ...(JSON.parse(r.snapshot) as Record<string, unknown>),
  ...originOf(r),
});

export const scenarioRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['scenarios'];
    const now = () => isoNow(deps.clock);

    app.get('/scenarios/', { schema: { tags, querystring: ListQuery, response: { 200: paginated(ScenarioOut), ...errorResponses } } }, async (req) => {
      const q = req.query;
      const { organizationId } = callerOf(req);
      const { count, rows } = await listScenarios(
        db,
        organizationId,
        {
          projectId: q.project_id,
          agentId: q.agent_id,
          assistantId: q.assistant_id,
          tags: q.tags
            ?.split(',')
            .map((t) => t.trim())
            .filter(Boolean),
          tagFilterType: q.tag_filter_type,
          folderPath: q.folder_path,
          search: q.search,
        },
        offsetOf(q),
      );
      return pageOf(req, q, count, await scenarioViews(db, organizationId, rows));
    });

    app.post('/scenarios/', { schema: { tags, body: ScenarioCreate, response: { 201: ScenarioOut, ...errorResponses } } }, async (req, reply) => {
      const caller = callerOf(req);
      const row = await createOneScenario(deps, caller, req.body);
      return reply.code(201).send(await scenarioView(db, caller.organizationId, row));
    });

    app.post(
      '/scenarios/bulk_create/',
      {
        schema: {
          tags,
          description: 'Creates many scenarios in one transaction: all of them, or none with every problem reported.',
          body: z.strictObject({ scenarios: z.array(ScenarioCreate).min(1).max(BULK_MAX) }),
          response: { 201: z.array(ScenarioOut), ...errorResponses },
        },
      },
      async (req, reply) => {
        const caller = callerOf(req);
        const rows = await bulkCreateScenarios(deps, caller, req.body.scenarios);
        return reply.code(201).send(await scenarioViews(db, caller.organizationId, rows));
      },
    );

    app.post(
      '/scenarios/adv_update/',
      {
        schema: {
          tags,
          description:
            'Applies the same change to many scenarios in one transaction. Answers the first scenario changed (by id), as the reference documents one ScenarioList, with every scenario changed in `results`.',
          body: BulkUpdate,
          response: { 200: BulkWritten, ...errorResponses },
        },
      },
      async (req) => {
        const caller = callerOf(req);
        const rows = await bulkUpdateScenarios(deps, caller, req.body);
        return bulkWritten(await scenarioViews(db, caller.organizationId, rows));
      },
    );

    app.post(
      '/scenarios/import/',
      {
        schema: {
          tags,
          summary: 'Import scenarios as one changeset',
          description:
            'Creates, updates and deletes scenarios of one project in one transaction (what `scenarist scenarios import` sends), recorded as one changeset: reverting it deletes the scenarios it created and restores those it deleted. Any problem answers 400 with the list and index of each, and nothing is written.',
          body: ScenarioImport,
          response: { 200: ImportResult, ...errorResponses },
        },
      },
      async (req) => {
        const b = req.body;
        const out = await importScenarios(deps, callerOf(req), {
          projectId: b.project_id,
          create: b.create,
          update: b.update.map((u) => ({ id: u.id, patch: u.fields })),
          delete: b.delete,
        });
        return { changeset_id: out.changesetId, created: out.created.map((r) => r.id), updated: out.updated.map((r) => r.id), deleted: out.deleted };
      },
    );

    app.post('/scenarios/delete_scenarios/', { schema: { tags, body: BulkDelete, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await bulkDeleteScenarios(deps, callerOf(req), req.body);
      return reply.code(204).send(null);
    });

    app.post('/scenarios/create_folder/', { schema: { tags, body: FolderCreate, response: { 201: Folder, ...errorResponses } } }, async (req, reply) => {
      const { organizationId } = callerOf(req);
      await getProject(db, organizationId, req.body.project_id).catch(() => {
        throw ValidationError.field('project_id', `Invalid pk "${req.body.project_id}" - object does not exist.`);
      });
      const folder = await createFolder(db, organizationId, req.body, now());
      return reply.code(201).send(toFolder(folder));
    });

    app.get('/scenarios/folders/', { schema: { tags, querystring: FolderQuery, response: { 200: paginated(Folder), ...errorResponses } } }, async (req) => {
      const { organizationId } = callerOf(req);
      const q = req.query;
      const { count, rows } = await listFolders(db, organizationId, { projectId: q.project_id, parentPath: q.parent_path, search: q.search }, offsetOf(q));
      return pageOf(req, q, count, rows.map(toFolder));
    });

    app.get('/scenarios/:id/', { schema: { tags, params: IdParams, response: { 200: ScenarioOut, ...errorResponses } } }, async (req) => {
      const { organizationId } = callerOf(req);
      return scenarioView(db, organizationId, await getScenario(db, organizationId, req.params.id));
    });

    const update = (body: typeof ScenarioPatch) => ({ schema: { tags, params: IdParams, body, response: { 200: ScenarioOut, ...errorResponses } } }) as const;
    const doUpdate = async (caller: Caller, id: number, patch: ScenarioPatch) => {
      const row = await updateOneScenario(deps, caller, id, patch);
      return scenarioView(db, caller.organizationId, row);
    };
    app.patch('/scenarios/:id/', update(ScenarioPatch), async (req) => doUpdate(callerOf(req), req.params.id, req.body));
    app.put('/scenarios/:id/', update(ScenarioCreate as unknown as typeof ScenarioPatch), async (req) => doUpdate(callerOf(req), req.params.id, req.body));

    app.delete('/scenarios/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteOneScenario(deps, callerOf(req), req.params.id);
      return reply.code(204).send(null);
    });

    /** One page of a scenario's revisions, newest first, in the shape `map` gives. */
    const revisionPage = async <T>(caller: Caller, id: number, page: { page: number; page_size: number }, map: (r: Row<'scenario_revisions'>) => T) => {
      await getScenario(db, caller.organizationId, id);
      const [count, rows] = await Promise.all([countRevisions(db, caller.organizationId, id), listRevisions(db, caller.organizationId, id, offsetOf(page))]);
      return [count, rows.map(map)] as const;
    };

    app.get(
      '/scenarios/:id/revisions/',
      { schema: { tags, params: IdParams, querystring: PageQuery, response: { 200: paginated(Revision), ...errorResponses } } },
      async (req) => pageOf(req, req.query, ...(await revisionPage(callerOf(req), req.params.id, req.query, toRevision))),
    );

    app.post(
      '/scenarios/:id/revert/',
      {
        schema: {
          tags,
          description: 'Restores the content a revision recorded; the restore is itself a new revision.',
          params: IdParams,
          body: z.strictObject({ revision: rowId() }),
          response: { 200: ScenarioOut, ...errorResponses },
        },
      },
      async (req) => {
        const caller = callerOf(req);
        const row = await revertToRevision(deps, caller, req.params.id, { revision: req.body.revision });
        return scenarioView(db, caller.organizationId, row);
      },
    );

    app.get(
      '/scenarios/:id/history/',
      { schema: { tags, params: IdParams, querystring: PageQuery, response: { 200: paginated(History), ...errorResponses } } },
      async (req) => pageOf(req, req.query, ...(await revisionPage(callerOf(req), req.params.id, req.query, toHistory))),
    );

    app.post(
      '/scenarios/:id/restore/',
      {
        schema: { tags, params: IdParams, body: z.strictObject({ history_id: rowId() }), response: { 200: RestoredScenario, ...errorResponses } },
      },
      async (req) => {
        const caller = callerOf(req);
        const row = await revertToRevision(deps, caller, req.params.id, { revisionId: req.body.history_id });
        // The reference answers a restore with its V2 serializer, where phone_number is the number's id (none here).
        return { ...(await scenarioView(db, caller.organizationId, row)), phone_number: null };
      },
    );
  };
