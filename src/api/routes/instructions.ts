import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DryRunPlan } from '../../domain/cost.js';
import { NotFound, ValidationError } from '../../domain/errors.js';
import {
  ApplyInstructionsBody,
  GenerateInstructionsBody,
  ImproveInstructionsBody,
  InstructionsStart,
  ScenarioImproveInstructionsBody,
} from '../../domain/instructions.js';
import { JobUsage } from '../../domain/scenario-agent.js';
import { NotDone } from '../../domain/suggestion.js';
import { applyInstructions } from '../../services/apply-instructions.js';
import { planInstructionsJob } from '../../services/dry-run.js';
import { startInstructionsJob } from '../../services/start-job.js';
import { findJobByProgressId } from '../../store/jobs.js';
import { instructionsProgressView } from '../../store/progress-views.js';
import { scenarioView } from '../../store/scenario-views.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { answerProgress, waitQuery } from '../follow.js';
import { callerOf } from '../plugins/auth.js';
import { ScenarioOut } from '../scenario-schema.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';
import { progressState } from './scenario-agent.js';

/** A started job, or with `dry_run: true` its plan and estimated cost. */
const startedOrPlan = z.union([InstructionsStart, DryRunPlan]);

const ProgressQuery = z.object({
  progress_id: z.string().max(100).optional().describe('The progress_id returned when the job started'),
  // The reference's tenant scope; an API key already scopes every request to its organization.
  agent_id: optionalIdQuery(),
  project_id: optionalIdQuery(),
  assistant_id: z.string().max(255).optional(),
  wait: waitQuery(),
});

/** The seed's Scenario as it would be with the job's instructions, plus the job's state. */
const InstructionsProgress = ScenarioOut.extend({
  id: z.number().int().optional().describe('The scenario the job is based on; absent when it was made from an unsaved payload'),
  personality: z.number().int().nullable().describe("The payload's personality; null when it names none (the reference's improve_instructions/ takes none)"),
  revision: z.number().int().nullable().describe('The revision the job was based on'),
  created_at: isoTime().nullable(),
  updated_at: isoTime().nullable(),
  progress_id: z.string(),
  mode: z.string().describe('generate or improve'),
  status: z.string().describe('in_progress | completed | cancelled | failed'),
  error: z.string().nullable().describe('Why the job failed, when status is failed'),
  message: z.string().nullable().describe("The engine's note on what it wrote"),
  based_on_revision: z.number().int().nullable(),
  changes: z.record(z.string(), z.object({ old: z.unknown(), new: z.unknown() })).describe('The fields applying the job would change'),
  unsupported: z.array(z.string()).describe('Parts of the request the engine could not carry out (the parts of not_done)'),
  not_done: z.array(NotDone).describe('Every part of the request that was not carried out, and why'),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  usage: JobUsage,
});

/**
 * A started generate-instructions job: `{progress_id, project_id}`, with the Scenario as
 * instructions-progress/ answers it now, since the reference documents this answer as a Scenario.
 */
const GenerateStarted = InstructionsProgress.extend({ project_id: z.number().int() });

export const instructionsRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['instructions'];
    const started = (job: Row<'jobs'>) => ({ progress_id: job.progress_id, project_id: job.project_id! });

    app.post(
      '/scenarios/generate-instructions/',
      {
        schema: {
          tags,
          summary: 'Generate instructions for a new or existing scenario',
          description:
            'Starts a job and answers at once: its progress_id and project_id, with the scenario as instructions-progress/ answers it now. The body is a scenario payload, checked as a scenario write is; `scenario` bases it on an existing scenario, whose values the other fields override. The job writes instructions (conditional actions for `scenario_type: "conditional_actions"`) in the scenario\'s language from the agent\'s description, the personality and the expected outcome. Nothing is written until applied.',
          body: GenerateInstructionsBody,
          response: { 200: z.union([GenerateStarted, DryRunPlan]), ...errorResponses },
        },
      },
      async (req) => {
        const request = { kind: 'generate', body: req.body } as const;
        if (req.body.dry_run) return planInstructionsJob(deps, callerOf(req), request);
        const job = await startInstructionsJob(deps, callerOf(req), request);
        return { ...(await instructionsProgressView(db, job)), ...started(job) };
      },
    );

    app.post(
      '/scenarios/improve_instructions/',
      {
        schema: {
          tags,
          summary: "Improve instructions for an agent's scenario",
          description:
            'Starts a job that improves `current_instructions` as `extra_instructions` asks (or writes new ones when there are none). Poll instructions-progress/.',
          body: ImproveInstructionsBody,
          response: { 200: startedOrPlan, ...errorResponses },
        },
      },
      async (req) => {
        const request = { kind: 'improve', body: req.body } as const;
        return req.body.dry_run ? planInstructionsJob(deps, callerOf(req), request) : started(await startInstructionsJob(deps, callerOf(req), request));
      },
    );

    app.post(
      '/scenarios/:id/improve_instructions/',
      {
        schema: {
          tags,
          summary: "Improve one scenario's instructions",
          description:
            "Starts a job that improves the scenario's instructions as `user_message` asks. Nothing is written until applied with apply_instructions/.",
          params: IdParams,
          body: ScenarioImproveInstructionsBody,
          response: { 200: startedOrPlan, ...errorResponses },
        },
      },
      async (req) => {
        const caller = callerOf(req);
        const { dry_run, max_tokens, max_cost } = req.body;
        const message = [req.body.user_message, req.body.extra_instructions]
          .map((m) => m?.trim())
          .filter(Boolean)
          .join('\n');
        const request = { kind: 'scenario', scenarioId: req.params.id, message, opts: { max_tokens, max_cost } } as const;
        return dry_run ? planInstructionsJob(deps, caller, request) : started(await startInstructionsJob(deps, caller, request));
      },
    );

    app.get(
      '/scenarios/instructions-progress/',
      {
        schema: {
          tags,
          summary: 'Poll an instructions job',
          description:
            'The Scenario as it would be with the new instructions, with the job status. Terminal statuses: completed, cancelled, failed. With `wait=N`, held until the status or progress changes (at most N seconds); with `Accept: text/event-stream`, a stream of `progress` events with this JSON and a `final` one.',
          querystring: ProgressQuery,
          response: { 200: InstructionsProgress, ...errorResponses },
        },
      },
      async (req, reply) => {
        const progressId = req.query.progress_id;
        if (!progressId) throw ValidationError.field('progress_id', 'This query parameter is required.');
        const { organizationId } = callerOf(req);
        const read = async () => {
          const job = await findJobByProgressId(db, organizationId, progressId);
          if (job?.kind !== 'instructions') throw new NotFound('No instructions job with this progress_id.');
          return instructionsProgressView(db, job);
        };
        const answer = await answerProgress(
          req,
          reply,
          deps.store.jobEvents,
          { progressId, read, stateOf: progressState, isFinal: (p) => p.status !== 'in_progress' },
          req.query.wait,
        );
        return answer ?? reply;
      },
    );

    app.post(
      '/scenarios/:id/apply_instructions/',
      {
        schema: {
          tags,
          summary: "Apply an instructions job's result",
          description:
            'Writes a completed job to the scenario as one revision: what its preview lists in `changes`, so the scenario becomes the preview. 409 when the scenario changed since the job read it; applying the same job again writes nothing. A job made from an unsaved payload applies (its instructions only) when `scenario` names this scenario.',
          params: IdParams,
          body: ApplyInstructionsBody,
          response: { 200: ScenarioOut, ...errorResponses },
        },
      },
      async (req) => {
        const caller = callerOf(req);
        const row = await applyInstructions(deps, caller, { scenarioId: req.params.id, progressId: req.body.progress_id, confirmScenario: req.body.scenario });
        return scenarioView(db, caller.organizationId, row);
      },
    );
  };
