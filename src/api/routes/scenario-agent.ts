import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DryRunPlan } from '../../domain/cost.js';
import { NotFound, ValidationError } from '../../domain/errors.js';
import { progressOf } from '../../domain/job-progress.js';
import { ScenarioAgentBody, ScenarioAgentProgress, ScenarioAgentStart } from '../../domain/scenario-agent.js';
import { cancelAgentJob } from '../../services/cancel.js';
import { dryRunScenarioAgent } from '../../services/dry-run.js';
import { discardLatestPreview } from '../../services/sessions.js';
import { startScenarioAgentJob } from '../../services/start-job.js';
import { findJobProgress } from '../../store/jobs.js';
import type { AppDeps } from '../deps.js';
import { answerProgress, sendJsonText, waitQuery, wantsEventStream } from '../follow.js';
import { callerOf } from '../plugins/auth.js';
import { ProgressCache } from '../progress-cache.js';
import { errorResponses } from '../schemas.js';
import { trustedOkSerializer } from '../trusted-serializer.js';

const ProgressQuery = z.object({ progress_id: z.string().max(100).optional().describe('The progress_id returned when the job started'), wait: waitQuery() });

export const CancelBody = z
  .strictObject({
    session_id: z.number().int().positive().max(2_147_483_647).optional(),
    progress_id: z.string().min(1).max(100).optional(),
  })
  .describe('The session whose running job to cancel, or the job itself by progress_id');

export const CancelResult = z.object({
  success: z.boolean(),
  session_id: z.number().int().nullable(),
  progress_id: z.string().nullable(),
  status: z.string().nullable(),
});

/** What a long poll waits for a change of. */
export const progressState = (p: { status: string; progress: { done: number; total: number } }): string => `${p.status} ${p.progress.done}/${p.progress.total}`;

export const scenarioAgentRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['scenario agent'];
    const cache = new ProgressCache<z.infer<typeof ScenarioAgentProgress>>(deps.store.jobEvents);
    const readProgress = async (organizationId: number, progressId: string) => {
      const job = await findJobProgress(db, organizationId, progressId);
      // Instructions jobs have their own progress endpoint and shape (seed 003).
      if (!job || job.kind === 'instructions') throw new NotFound('No job with this progress_id.');
      return { value: progressOf(job), projectId: job.project_id };
    };

    /** The plain poll's answer if it is in memory: the progress id alone, no stream; a key limited to a project only of its jobs. */
    const cachedPoll = (req: FastifyRequest) => {
      const caller = req.caller;
      if (!caller || wantsEventStream(req)) return undefined;
      const query = req.query as Record<string, unknown>;
      for (const name in query) if (name !== 'progress_id') return undefined;
      return typeof query.progress_id === 'string' ? cache.peek(caller.organizationId, query.progress_id, caller.projectId) : undefined;
    };

    app.post(
      '/scenarios/scenario-agent/',
      {
        // An apply sends a whole improve result back in one call, of any size (thousands of scenarios).
        bodyLimit: deps.config.applyBodyLimit,
        schema: {
          tags,
          summary: 'Refine or clarify evaluator scenarios',
          description:
            'Starts a job and answers at once. `scenarios` present: improve them (nothing is written). Absent: draft new scenarios for `agent_id`. `apply_changes: true` with `updated_scenarios`: apply them in one transaction. `dry_run: true` answers the plan instead (batches, model calls, estimated tokens and cost) and starts nothing; `max_tokens` and `max_cost` stop the job before a model call that would exceed them, keeping what it did.',
          body: ScenarioAgentBody,
          response: {
            200: z.union([ScenarioAgentStart, DryRunPlan]).describe('The job started, or with `dry_run: true` its plan and estimated cost'),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        if (req.body.dry_run) return dryRunScenarioAgent(db, deps.config, callerOf(req).organizationId, req.body);
        const job = await startScenarioAgentJob(deps, callerOf(req), req.body);
        return { progress_id: job.progress_id, session_id: job.session_id! };
      },
    );

    app.get(
      '/scenarios/scenario-agent-progress/',
      {
        schema: {
          tags,
          summary: 'Poll a scenario-agent job',
          description:
            'The job as it is now. With `wait=N`, held until its status or progress changes (at most N seconds). With `Accept: text/event-stream`, a stream of server-sent events: `progress` with this same JSON on each change, then `final` with the final answer, and the stream ends.',
          querystring: ProgressQuery,
          response: { 200: ScenarioAgentProgress, ...errorResponses },
        },
        // Clients poll this many times a second while they wait: progressOf builds the answer to the schema.
        serializerCompiler: trustedOkSerializer,
        // A poll of a job in memory is answered once its caller is known. What would follow was
        // passed by the poll that put the job there, with the same progress id (the query's rules
        // and schema), or is the project check the cache makes itself (a limited key's).
        onRequest: (req, reply, done) => {
          const hit = cachedPoll(req);
          if (hit) return void sendJsonText(reply, hit.json);
          done();
        },
      },
      (req, reply) => {
        const progressId = req.query.progress_id;
        if (!progressId) throw ValidationError.field('progress_id', 'This query parameter is required.');
        const { organizationId } = callerOf(req);
        if (!req.query.wait && !wantsEventStream(req)) {
          // The plain poll, by far the most frequent request: a running job's JSON, made once per
          // version of the job, sent without a promise when it is in memory.
          const cached = cache.peek(organizationId, progressId);
          if (cached) return void sendJsonText(reply as FastifyReply, cached.json);
          return cache.get(organizationId, progressId, readProgress).then((answer) => void sendJsonText(reply as FastifyReply, answer.json));
        }
        const read = async () => (await cache.get(organizationId, progressId, readProgress)).value;
        return answerProgress(
          req,
          reply,
          deps.store.jobEvents,
          { progressId, read, stateOf: progressState, isFinal: (p) => p.status !== 'in_progress' },
          req.query.wait,
        );
      },
    );

    app.post(
      '/scenarios/cancel-agent/',
      {
        schema: {
          tags,
          summary: 'Cancel a running scenario-agent job',
          description:
            'Stops the job at once: its status becomes cancelled and nothing it would have written is written. Cancelling a finished job answers its current state.',
          body: CancelBody,
          response: { 200: CancelResult, ...errorResponses },
        },
      },
      async (req) => {
        return cancelAgentJob(deps, callerOf(req), req.body);
      },
    );

    app.post(
      '/scenarios/discard-changes/',
      {
        schema: {
          tags,
          summary: "Discard a session's latest suggestions",
          description: 'Marks the latest preview as discarded, so the next request in the session knows the user rejected it.',
          body: z.strictObject({ session_id: z.number().int().positive().max(2_147_483_647) }),
          response: { 200: z.object({ success: z.boolean(), session_id: z.number().int() }), ...errorResponses },
        },
      },
      async (req) => {
        const success = await discardLatestPreview(deps, callerOf(req), req.body.session_id);
        return { success, session_id: req.body.session_id };
      },
    );
  };
