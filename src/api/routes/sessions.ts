import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors.js';
import { JOB_STATUSES, type JobKind, type JobStatus } from '../../domain/jobs.js';
import { REVIEW_STATES, sessionReviewState } from '../../domain/suggestion-review.js';
import { editSession, openSession } from '../../services/sessions.js';
import type { Executor } from '../../store/db.js';
import { reviewsOfSessions, type SessionReview } from '../../store/job-review.js';
import { latestJobOfSession } from '../../store/jobs.js';
import type { Row } from '../../store/schema.js';
import { deleteSession, getSession, type LatestJob, listSessions, loadTurns } from '../../store/sessions.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const SESSION_STATUSES = ['pending', 'in_progress', 'completed', 'cancelled', 'failed'] as const;
const id = () => z.number().int().positive().max(2_147_483_647);

const SessionBase = {
  id: z.number().int(),
  title: z.string().describe('Title for the session (auto-generated from first user message)'),
  project: z.number().int().nullable(),
  scenario_ids: z.array(z.number().int()).describe('List of scenario IDs being improved in this session'),
  status: z.enum(SESSION_STATUSES).describe('Current status of the improvement session'),
  created_at: isoTime(),
  updated_at: isoTime(),
  // Beyond the seed: which job a client should follow (or show) on reopening the session.
  latest_progress_id: z.string().nullable().describe('progress_id of the latest job of this session, for scenario-agent-progress/; null before any'),
  latest_job_status: z.enum(JOB_STATUSES).nullable().describe('Status of that job, as scenario-agent-progress/ says it'),
  latest_job_kind: z.enum(['improve', 'clarify', 'apply', 'instructions']).nullable().describe('What that job does: improve, clarify or apply'),
  review_state: z
    .enum(REVIEW_STATES)
    .nullable()
    .describe(
      'Beside status: running or failed as its latest job is, else what was done with its latest suggestions (to_review, applied, partly_applied, discarded); null before any',
    ),
  review_count: z.number().int().nullable().describe('How many suggestions its latest suggesting job made'),
  review_progress_id: z.string().nullable().describe('progress_id of the job whose suggestions review_state is about'),
};

export const SessionListItem = z.object({ ...SessionBase, message_count: z.string().describe('Number of messages in the conversation') });

export const Turn = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  timestamp: z.string(),
  tool_calls: z.array(z.record(z.string(), z.unknown())),
});

export const SessionDetail = z.object({
  ...SessionBase,
  conversation_history: z.array(Turn).describe("List of conversation items: [{role: 'user'|'assistant', content: str, timestamp: str, tool_calls: [...]}]"),
  created_by: z.number().int().nullable(),
  message_count: z.string(),
});

export const CreateBody = z.strictObject({
  project: id().nullable().optional(),
  title: z.string().max(255).optional(),
  scenario_selection: z
    .union([z.array(id()).max(100_000), z.literal('all'), z.number().int().min(0).max(100_000)])
    .optional()
    .describe('Scenario ids, "all", or a number N (the first N scenarios of the project)'),
});

/** A turn written back: what a GET answers, its time and tool calls optional. */
const TurnWrite = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().max(100_000),
  timestamp: z.iso
    .datetime({ offset: true })
    .transform((t) => new Date(t).toISOString())
    .optional()
    .describe('ISO-8601; the time of the write when left out'),
  tool_calls: z.array(z.record(z.string(), z.unknown())).max(100).optional(),
});

export const PatchBody = z.strictObject({
  title: z.string().max(255).optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  conversation_history: z
    .array(TurnWrite)
    .max(10_000)
    .optional()
    .describe('The whole conversation as it should be: the turns it starts with that are stored already stay as they are, the rest are replaced'),
  scenario_ids: z
    .array(z.number().int().positive().max(2_147_483_647))
    .max(100_000)
    .optional()
    .describe("The scenarios the session is about; each must be in the session's project"),
});

export const ListQuery = z.object({ project_id: optionalIdQuery().describe('Project whose sessions to list (required)') });

function base(r: Row<'sessions'>, job: LatestJob | undefined, review: SessionReview | undefined) {
  return {
    review_state: sessionReviewState(review?.latest, review?.reviewable),
    review_count: review?.reviewable?.review_count ?? null,
    review_progress_id: review?.reviewable?.progress_id ?? null,
    id: r.id,
    title: r.title,
    project: r.project_id,
    scenario_ids: JSON.parse(r.scenario_ids) as number[],
    status: r.status as (typeof SESSION_STATUSES)[number],
    created_at: r.created_at,
    updated_at: r.updated_at,
    latest_progress_id: job?.progress_id ?? null,
    latest_job_status: (job?.status ?? null) as JobStatus | null,
    latest_job_kind: (job?.kind ?? null) as JobKind | null,
  };
}

async function detail(db: Executor, r: Row<'sessions'>): Promise<z.infer<typeof SessionDetail>> {
  const [turns, job, reviews] = await Promise.all([loadTurns(db, r.id), latestJobOfSession(db, r.id), reviewsOfSessions(db, [r.id])]);
  return { ...base(r, job, reviews.get(r.id)), conversation_history: turns, created_by: r.created_by, message_count: String(turns.length) };
}

export const sessionRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['scenario improvement sessions'];
    const path = '/scenario-improvement-sessions/';

    app.get(
      path,
      {
        schema: {
          tags,
          summary: 'List scenario improvement sessions',
          description: 'Sessions of a project, newest first. Requires `project_id`.',
          querystring: ListQuery,
          response: { 200: z.array(SessionListItem), ...errorResponses },
        },
      },
      async (req) => {
        const projectId = req.query.project_id;
        if (!projectId) throw ValidationError.field('project_id', 'This query parameter is required.');
        const rows = await listSessions(db, callerOf(req).organizationId, projectId);
        const reviews = await reviewsOfSessions(
          db,
          rows.map((r) => r.id),
        );
        return rows.map((r) => ({ ...base(r, r.latest_job, reviews.get(r.id)), message_count: String(r.message_count) }));
      },
    );

    app.post(path, { schema: { tags, body: CreateBody, response: { 201: SessionDetail, ...errorResponses } } }, async (req, reply) => {
      const row = await openSession(deps, callerOf(req), req.body);
      return reply.code(201).send(await detail(db, row));
    });

    app.get(`${path}:id/`, { schema: { tags, params: IdParams, response: { 200: SessionDetail, ...errorResponses } } }, async (req) =>
      detail(db, await getSession(db, callerOf(req).organizationId, req.params.id)),
    );

    app.patch(`${path}:id/`, { schema: { tags, params: IdParams, body: PatchBody, response: { 200: SessionDetail, ...errorResponses } } }, async (req) =>
      detail(db, await editSession(deps, callerOf(req), req.params.id, req.body)),
    );
    app.put(`${path}:id/`, { schema: { tags, params: IdParams, body: PatchBody, response: { 200: SessionDetail, ...errorResponses } } }, async (req) =>
      detail(db, await editSession(deps, callerOf(req), req.params.id, req.body)),
    );

    app.delete(`${path}:id/`, { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      for (const progressId of await deleteSession(db, callerOf(req).organizationId, req.params.id)) deps.store.jobEvents.changed(progressId);
      return reply.code(204).send(null);
    });
  };
