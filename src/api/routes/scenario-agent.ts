import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { NotFound, ValidationError } from '../../domain/errors.js';
import { progressOf } from '../../domain/job-progress.js';
import { ScenarioAgentBody, ScenarioAgentProgress, ScenarioAgentStart } from '../../domain/scenario-agent.js';
import { emitJobEnded } from '../../jobs/job-events.js';
import { submitScenarioAgent } from '../../jobs/submit.js';
import { cancelJob, findJobByProgressId, findJobProgress, latestJobOfSession } from '../../store/jobs.js';
import type { Row } from '../../store/schema.js';
import { appendTurn, getSession, markLatestPreview, updateSession } from '../../store/sessions.js';
import { DryRunPlan } from '../../domain/cost.js';
import { dryRunScenarioAgent } from '../../services/dry-run.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';
import { trustedOkSerializer } from '../trusted-serializer.js';

const ProgressQuery = z.object({ progress_id: z.string().max(100).optional().describe('The progress_id returned when the job started') });

export const CancelBody = z
  .strictObject({
    session_id: z.number().int().positive().max(2_147_483_647).optional(),
    progress_id: z.string().min(1).max(100).optional(),
  })
  .describe('The session whose running job to cancel, or the job itself by progress_id');

export const CancelResult = z.object({ success: z.boolean(), session_id: z.number().int().nullable(), progress_id: z.string().nullable(), status: z.string().nullable() });

export const scenarioAgentRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['scenario agent'];
  const now = () => isoNow(deps.clock);

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
        response: { 200: z.union([ScenarioAgentStart, DryRunPlan]).describe('The job started, or with `dry_run: true` its plan and estimated cost'), ...errorResponses },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      if (req.body.dry_run) return dryRunScenarioAgent(db, deps.config, caller.organizationId, req.body);
      const job = await submitScenarioAgent(db, deps.config, { organizationId: caller.organizationId, keyId: caller.keyId }, req.body, now());
      deps.notifyJob?.(job.progress_id);
      return { progress_id: job.progress_id, session_id: job.session_id! };
    },
  );

  app.get(
    '/scenarios/scenario-agent-progress/',
    {
      schema: { tags, summary: 'Poll a scenario-agent job', querystring: ProgressQuery, response: { 200: ScenarioAgentProgress, ...errorResponses } },
      // Clients poll this many times a second while they wait: progressOf builds the answer to the schema.
      serializerCompiler: trustedOkSerializer,
    },
    async (req) => {
      if (!req.query.progress_id) throw ValidationError.field('progress_id', 'This query parameter is required.');
      const job = await findJobProgress(db, callerOf(req).organizationId, req.query.progress_id);
      // Instructions jobs have their own progress endpoint and shape (seed 003).
      if (!job || job.kind === 'instructions') throw new NotFound('No job with this progress_id.');
      return progressOf(job);
    },
  );

  app.post(
    '/scenarios/cancel-agent/',
    {
      schema: {
        tags,
        summary: 'Cancel a running scenario-agent job',
        description: 'Stops the job at once: its status becomes cancelled and nothing it would have written is written. Cancelling a finished job answers its current state.',
        body: CancelBody,
        response: { 200: CancelResult, ...errorResponses },
      },
    },
    async (req) => {
      const { organizationId } = callerOf(req);
      const { session_id, progress_id } = req.body;
      if (!session_id && !progress_id) throw ValidationError.field('session_id', 'Send session_id or progress_id.');
      let job: Row<'jobs'> | undefined;
      if (progress_id) {
        job = await findJobByProgressId(db, organizationId, progress_id);
        if (!job) throw new NotFound('No job with this progress_id.');
      } else {
        await getSession(db, organizationId, session_id!);
        job = await latestJobOfSession(db, session_id!);
      }
      if (!job) return { success: false, session_id: session_id ?? null, progress_id: null, status: null };
      const cancelled = await db.transaction().execute(async (tx) => {
        const won = await cancelJob(tx, job.id, now());
        if (won) await emitJobEnded(tx, job.id, now());
        if (won && job.session_id !== null) {
          await appendTurn(tx, job.session_id, { role: 'assistant', content: 'Cancelled.', jobId: job.id }, now());
          await updateSession(tx, job.session_id, { status: 'cancelled' }, now());
        }
        return won;
      });
      if (cancelled) deps.abortJob?.(job.progress_id);
      const current = (await findJobByProgressId(db, organizationId, job.progress_id))!;
      return { success: current.status === 'cancelled', session_id: current.session_id, progress_id: current.progress_id, status: current.status };
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
      await getSession(db, callerOf(req).organizationId, req.body.session_id);
      const success = await markLatestPreview(db, req.body.session_id, 'discarded');
      return { success, session_id: req.body.session_id };
    },
  );
};
