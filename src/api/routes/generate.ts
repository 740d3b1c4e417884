import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors.js';
import { ClarifyAnswer, GenerateBody } from '../../domain/generation.js';
import { answerGeneration, currentGeneration, startGeneration } from '../../services/generation.js';
import { scenarioViews } from '../../store/scenario-views.js';
import { loadScenarios } from '../../store/scenarios.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { answerProgress, waitQuery, wantsEventStream } from '../follow.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';

const GeneratedItem = z.record(z.string(), z.unknown());
export const GenerateProgress = z.object({
  progress_id: z.string(),
  status: z.enum(['in_progress', 'pending_clarification', 'completed', 'failed', 'cancelled']),
  current_step: z.string().describe('What the generation is doing now'),
  total_scenarios: z.number().int(),
  completed_scenarios: z.number().int().describe('Scenarios drafted so far (created, once completed)'),
  failed_scenarios: z.number().int(),
  scenarios_list: z.array(GeneratedItem).describe('The scenarios created (or, before that, drafted) so far'),
  questions: z.array(z.string()).describe('What to answer at generate-clarify-answer/ when pending_clarification'),
  agent_message: z.string().nullable(),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
});

const STATUS = {
  in_progress: 'in_progress',
  needs_clarification: 'pending_clarification',
  needs_agent_clarification: 'pending_clarification',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
const STEP = {
  in_progress: 'Drafting scenarios',
  pending_clarification: 'Waiting for your answer',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
} as const;

/** A generated scenario as the reference lists it: absent rather than null where there is no value. */
const listed = (view: Record<string, unknown>) => Object.fromEntries(Object.entries(view).filter(([, v]) => v !== null));

/** Background generation (generate-bg/): drafts like clarify mode, then creates the scenarios. */
export const generateRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['scenario agent'];

    app.post(
      '/scenarios/generate-bg/',
      {
        schema: {
          tags,
          description:
            'Starts generating `num_scenarios` scenarios for the agent; poll generate-progress/. The model may ask questions first (status pending_clarification).',
          body: GenerateBody,
          response: { 200: z.object({ progress_id: z.string(), session_id: z.null() }), ...errorResponses },
        },
      },
      async (req) => {
        const job = await startGeneration(deps, callerOf(req), req.body);
        return { progress_id: job.progress_id, session_id: null };
      },
    );

    /** The reference's progress answer for a generation job, as it is now. */
    const progressOf = async (organizationId: number, progressId: string, job: Row<'jobs'>): Promise<z.infer<typeof GenerateProgress>> => {
      const status = STATUS[job.status as keyof typeof STATUS] ?? 'in_progress';
      const result = job.status === 'in_progress' || job.result === null ? {} : (JSON.parse(job.result) as Record<string, unknown>);
      const createdIds = (result.created_scenario_ids as number[] | undefined) ?? [];
      const drafts = (result.generated_scenarios as Array<Record<string, unknown>> | undefined) ?? [];
      const created = createdIds.length ? await scenarioViews(db, organizationId, await loadScenarios(db, organizationId, createdIds)) : [];
      const questions = ((result.clarification_questions as Array<{ question: string }> | undefined) ?? []).map((q) => q.question);
      return {
        progress_id: progressId,
        status,
        current_step: STEP[status],
        total_scenarios: job.progress_total,
        completed_scenarios: status === 'completed' ? created.length : job.progress_done,
        failed_scenarios: status === 'completed' ? Math.max(0, job.progress_total - created.length) : 0,
        scenarios_list: created.length ? created.map((v) => listed(v as Record<string, unknown>)) : drafts.map(listed),
        questions,
        agent_message: (result.user_message as string | undefined) ?? null,
        warnings: [],
        error: job.error,
      };
    };

    app.get(
      '/scenarios/generate-progress/',
      {
        schema: {
          tags,
          description:
            'The generation as it is now. With `wait=N`, held until its status or progress changes (at most N seconds); with `Accept: text/event-stream`, a stream of `progress` events with this JSON and a `final` one (also when it waits for an answer: answer, then follow again).',
          querystring: z.object({ progress_id: z.string().max(100).optional(), wait: waitQuery() }),
          response: { 200: GenerateProgress, ...errorResponses },
        },
      },
      async (req, reply) => {
        const progressId = req.query.progress_id;
        if (!progressId) throw ValidationError.field('progress_id', 'This query parameter is required.');
        const caller = callerOf(req);
        // Followed by the job that answers now: an answer to its questions starts a later one.
        const following = await currentGeneration(deps, caller, progressId);
        // A plain poll answers from that job as read, without reading it again.
        if (!req.query.wait && !wantsEventStream(req)) return progressOf(caller.organizationId, progressId, following);
        const read = async () => progressOf(caller.organizationId, progressId, await currentGeneration(deps, caller, progressId));
        const answer = await answerProgress(
          req,
          reply,
          deps.store.jobEvents,
          {
            progressId: following.progress_id,
            read,
            stateOf: (p) => `${p.status} ${p.completed_scenarios}/${p.total_scenarios}`,
            isFinal: (p) => p.status !== 'in_progress',
          },
          req.query.wait,
        );
        return answer ?? reply;
      },
    );

    app.post(
      '/scenarios/generate-clarify-answer/',
      { schema: { tags, body: ClarifyAnswer, response: { 200: z.object({ progress_id: z.string() }), ...errorResponses } } },
      async (req) => {
        await answerGeneration(deps, callerOf(req), req.body);
        // The original progress_id keeps working: generate-progress/ follows the session to this job.
        return { progress_id: req.body.progress_id };
      },
    );
  };
