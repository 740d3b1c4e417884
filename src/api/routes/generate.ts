import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors.js';
import { ClarifyAnswer, GenerateBody } from '../../domain/generation.js';
import { answerGeneration, currentGeneration, draftsSoFar, startGeneration } from '../../services/generation.js';
import { generationProgressView } from '../../store/progress-views.js';
import type { AppDeps } from '../deps.js';
import { answerProgress, waitQuery, wantsEventStream } from '../follow.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';

const GeneratedItem = z.record(z.string(), z.unknown());
export const GenerateProgress = z.object({
  progress_id: z.string(),
  status: z.enum(['in_progress', 'pending_clarification', 'completed', 'failed', 'cancelled']),
  current_step: z.string().describe('What the generation is doing now: how far drafting is, the question it waits on, or why it failed'),
  total_scenarios: z.number().int(),
  completed_scenarios: z.number().int().describe('Scenarios drafted so far (created, once completed)'),
  failed_scenarios: z.number().int(),
  scenarios_list: z.array(GeneratedItem).describe('The scenarios created; while it runs, those drafted so far (each round adds its drafts)'),
  questions: z.array(z.string()).describe('What to answer at generate-clarify-answer/ when pending_clarification'),
  agent_message: z.string().nullable(),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
});

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
        const view = (job: Awaited<ReturnType<typeof currentGeneration>>) =>
          generationProgressView(db, caller.organizationId, progressId, job, () => draftsSoFar(deps, job));
        // A plain poll answers from that job as read, without reading it again.
        if (!req.query.wait && !wantsEventStream(req)) return view(following);
        const read = async () => view(await currentGeneration(deps, caller, progressId));
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
