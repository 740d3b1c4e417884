import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFound, ValidationError } from '../../domain/errors.js';
import { emptyUsage, type TokenUsage } from '../../domain/jobs.js';
import { ScenarioAgentBody, ScenarioAgentProgress, ScenarioAgentStart } from '../../domain/scenario-agent.js';
import type { ScenarioAgentResult } from '../../domain/suggestion.js';
import { cancelAgentJob } from '../../services/cancel.js';
import { discardLatestPreview } from '../../services/sessions.js';
import { startScenarioAgentJob } from '../../services/start-job.js';
import { findJobProgress, type JobProgressRow } from '../../store/jobs.js';
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

/** Builds every key of ScenarioAgentProgress and nothing else: the progress route sends it unchecked. */
export function progressOf(job: JobProgressRow): z.infer<typeof ScenarioAgentProgress> {
  const stored = { ...emptyUsage(), ...(JSON.parse(job.usage) as Partial<TokenUsage>) };
  const usage = { input_tokens: stored.input_tokens, output_tokens: stored.output_tokens, model_calls: stored.model_calls };
  return {
    progress_id: job.progress_id,
    session_id: job.session_id,
    mode: job.mode,
    status: job.status,
    // A result stored before results carried their kind is given it, so clients can tell results apart.
    result: job.status === 'in_progress' || job.result === null ? null : ({ kind: job.kind, ...JSON.parse(job.result) } as ScenarioAgentResult),
    error: job.error,
    progress: { done: job.progress_done, total: job.progress_total },
    usage,
  };
}

export const scenarioAgentRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['scenario agent'];

  app.post(
    '/scenarios/scenario-agent/',
    {
      // An apply sends a whole improve result back in one call, of any size (thousands of scenarios).
      bodyLimit: deps.config.applyBodyLimit,
      schema: {
        tags,
        summary: 'Refine or clarify evaluator scenarios',
        description:
          'Starts a job and answers at once. `scenarios` present: improve them (nothing is written). Absent: draft new scenarios for `agent_id`. `apply_changes: true` with `updated_scenarios`: apply them in one transaction.',
        body: ScenarioAgentBody,
        response: { 200: ScenarioAgentStart, ...errorResponses },
      },
    },
    async (req) => {
      const job = await startScenarioAgentJob(deps, callerOf(req), req.body);
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
