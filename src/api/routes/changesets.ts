import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHANGESET_ACTIONS, CHANGESET_KINDS } from '../../domain/changeset.js';
import { isoNow } from '../../domain/clock.js';
import { findChangesets, revertChangeset, showChangeset } from '../../services/changesets.js';
import { actorOf } from '../../services/context.js';
import type { ChangesetSummary } from '../../store/changesets.js';
import type { AppDeps } from '../deps.js';
import { MAX_PAGE_SIZE, PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { Detail, errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const tags = ['changesets'];

export const Changeset = z.object({
  id: z.number().int(),
  project: z.number().int(),
  kind: z
    .enum(CHANGESET_KINDS)
    .describe('What wrote it: an apply, instructions apply, bulk update or create, import, generation, folder move, tags, or a revert'),
  summary: z.string(),
  actor: z.string().describe('The name of the API key that made the write'),
  created_at: isoTime(),
  progress_id: z.string().nullable().describe('The job that wrote it, when a job did'),
  session_id: z.number().int().nullable(),
  reverts: z.number().int().nullable().describe('For a revert: the changeset it undid'),
  status: z.enum(['applied', 'partly_reverted', 'reverted']),
  reverted_by: z.array(z.number().int()).describe('The revert changesets that undid (part of) it'),
  scenario_count: z.number().int(),
  reverted_count: z.number().int(),
  fields: z.array(z.string()).describe('The scenario fields it changed'),
});

const FieldChange = z.object({ old: z.unknown(), new: z.unknown() });

const ChangesetItem = z.object({
  scenario_id: z.number().int(),
  scenario_name: z.string(),
  action: z.enum(CHANGESET_ACTIONS),
  changes: z.record(z.string(), FieldChange).describe('{field: {old, new}} for every field it changed'),
  before_revision: z.number().int().nullable(),
  after_revision: z.number().int().nullable(),
  reverted_by: z.number().int().nullable(),
});

export const ChangesetDetail = Changeset.extend({
  items: z.array(ChangesetItem).describe('One page of its scenarios (page, page_size), in id order'),
});

const RevertConflict = z.object({
  scenario_id: z.number().int(),
  reason: z.enum(['changed', 'deleted', 'exists', 'invalid']),
  message: z.string(),
  expected_revision: z.number().int().nullable(),
  current_revision: z.number().int().nullable(),
});

export const RevertResult = z.object({
  changeset_id: z.number().int(),
  revert_changeset_id: z.number().int().nullable().describe('The changeset the revert recorded; revert it to redo'),
  reverted_scenario_ids: z.array(z.number().int()),
  deleted_scenario_ids: z.array(z.number().int()).describe('Scenarios the changeset created, deleted again'),
  restored_scenario_ids: z.array(z.number().int()).describe('Scenarios the changeset deleted, brought back'),
  conflicts: z.array(RevertConflict).describe('Scenarios left alone: changed since (unless force), deleted since, or no longer valid'),
  message: z.string(),
});

export const ChangesetListQuery = PageQuery.extend({
  project_id: optionalIdQuery(),
  session_id: optionalIdQuery(),
  scenario_id: optionalIdQuery(),
  progress_id: z.string().max(100).optional().describe('Changesets written by this job'),
});

const ItemsQuery = PageQuery.extend({ page_size: PageQuery.shape.page_size.default(MAX_PAGE_SIZE) });

const offsetOf = (q: { page: number; page_size: number }) => ({ offset: (q.page - 1) * q.page_size, limit: q.page_size });

function toChangeset(c: ChangesetSummary): z.infer<typeof Changeset> {
  return {
    id: c.id,
    project: c.project_id,
    kind: c.kind as z.infer<typeof Changeset>['kind'],
    summary: c.summary,
    actor: c.actor,
    created_at: c.created_at,
    progress_id: c.progress_id,
    session_id: c.session_id,
    reverts: c.reverts_changeset_id,
    status: c.status,
    reverted_by: c.reverted_by,
    scenario_count: c.scenario_count,
    reverted_count: c.reverted_count,
    fields: JSON.parse(c.fields),
  };
}

/**
 * Changesets: every write that changed scenarios in bulk, listed per project, session, scenario
 * or job, shown as a diff, and reverted as a whole in one call.
 */
export const changesetRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;

    app.get(
      '/changesets/',
      {
        schema: {
          tags,
          description: 'Changesets, newest first, by project, session, scenario or job.',
          querystring: ChangesetListQuery,
          response: { 200: paginated(Changeset), ...errorResponses },
        },
      },
      async (req) => {
        const q = req.query;
        const { count, rows } = await findChangesets(
          db,
          callerOf(req).organizationId,
          { projectId: q.project_id, sessionId: q.session_id, scenarioId: q.scenario_id, progressId: q.progress_id },
          offsetOf(q),
        );
        return pageOf(req, q, count, rows.map(toChangeset));
      },
    );

    app.get(
      '/changesets/:id/',
      {
        schema: {
          tags,
          description: 'One changeset with its scenarios, field by field, old and new.',
          params: IdParams,
          querystring: ItemsQuery,
          response: { 200: ChangesetDetail, ...errorResponses },
        },
      },
      async (req) => {
        const { changeset, items } = await showChangeset(db, callerOf(req).organizationId, req.params.id, offsetOf(req.query));
        return {
          ...toChangeset(changeset),
          items: items.map((i) => ({
            scenario_id: i.scenario_id,
            scenario_name: i.scenario_name,
            action: i.action,
            changes: i.changes as Record<string, { old: unknown; new: unknown }>,
            before_revision: i.before_revision,
            after_revision: i.after_revision,
            reverted_by: i.reverted_by,
          })),
        };
      },
    );

    app.post(
      '/changesets/:id/revert/',
      {
        schema: {
          tags,
          description:
            'Undoes the changeset in one transaction: one new revision per scenario it updated, scenarios it created deleted, scenarios it deleted restored. A scenario changed since is a conflict named in the answer and left alone unless `force` is true (then only the fields the changeset changed go back). 409 when nothing of it is left to revert.',
          params: IdParams,
          // No body at all is a plain revert.
          body: z.strictObject({ force: z.boolean().default(false).describe('Revert scenarios changed since as well') }).nullish(),
          response: { 200: RevertResult, 409: Detail, ...errorResponses },
        },
      },
      async (req) => {
        const caller = callerOf(req);
        return revertChangeset(db, {
          organizationId: caller.organizationId,
          actor: actorOf(caller),
          changesetId: req.params.id,
          force: req.body?.force ?? false,
          now: isoNow(deps.clock),
        });
      },
    );
  };
