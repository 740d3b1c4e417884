import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFound, ValidationError } from '../../domain/errors.js';
import { ScenarioAgentBody } from '../../domain/scenario-agent.js';
import { type GenerationOptions, isGeneration } from '../../jobs/kinds/generate.js';
import { startScenarioAgentJob } from '../../services/start-job.js';
import { agentIdByAssistantId } from '../../store/aiagents.js';
import { findJobByProgressId, latestJobOfSession } from '../../store/jobs.js';
import { scenarioViews } from '../../store/scenario-views.js';
import { loadScenarios } from '../../store/scenarios.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { answerProgress, waitQuery } from '../follow.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';

const Id = z.number().int().positive().max(2_147_483_647);

/** The reference's SchemaGenerateScenarios. */
export const GenerateBody = z.strictObject({
  agent_id: Id.optional(),
  assistant_id: z.string().max(255).optional().describe("The provider's assistant id, instead of agent_id"),
  personalities: z.array(Id).max(100).optional().describe('Personalities for the scenarios (the first is used)'),
  num_scenarios: z.number().int().min(1).max(100),
  test_profile: Id.nullable().optional(),
  scenario_type: z.enum(['workflow', 'red_teaming_voice', 'red_teaming_text']).default('workflow'),
  attack_type: z.enum(['', 'system_prompt_leak', 'data_leak', 'harmful_content', 'biased_output', 'unauthorized_actions', 'off_task']).nullable().optional(),
  expected_outcome: z.string().max(10_000).nullable().optional(),
  extra_instructions: z.string().max(20_000).default('').describe('What the scenarios should cover'),
  generation_files: z.array(z.string().max(2000)).max(10).optional().describe('Not read by Scenarist: attach knowledge-base files to the agent instead'),
  simulation_type: z.enum(['instruction', 'conditional_actions']).optional(),
  inbound_phone_number: Id.nullable().optional(),
  first_message: z.string().max(1000).optional(),
  generate_expected_outcomes: z.boolean().default(false),
  tags: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
  tool_ids: z.array(z.string().max(100)).max(50).optional(),
  folder_path: z.string().trim().max(255).nullable().optional(),
});

export const ClarifyAnswer = z.strictObject({ progress_id: z.string().min(1).max(100), answer: z.string().trim().min(1).max(10_000) });

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

const STATUS = { in_progress: 'in_progress', needs_clarification: 'pending_clarification', needs_agent_clarification: 'pending_clarification', completed: 'completed', failed: 'failed', cancelled: 'cancelled' } as const;
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
export const generateRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['scenario agent'];

  const agentFor = async (organizationId: number, b: z.infer<typeof GenerateBody>) => {
    if (b.agent_id) return b.agent_id;
    if (!b.assistant_id) throw ValidationError.field('agent_id', 'Send agent_id or assistant_id.');
    const id = await agentIdByAssistantId(db, organizationId, b.assistant_id);
    if (id === undefined) throw ValidationError.field('assistant_id', `No agent has assistant_id "${b.assistant_id}".`);
    return id;
  };

  app.post(
    '/scenarios/generate-bg/',
    {
      schema: {
        tags,
        description: 'Starts generating `num_scenarios` scenarios for the agent; poll generate-progress/. The model may ask questions first (status pending_clarification).',
        body: GenerateBody,
        response: { 200: z.object({ progress_id: z.string(), session_id: z.null() }), ...errorResponses },
      },
    },
    async (req) => {
      const caller = callerOf(req);
      const b = req.body;
      const agentId = await agentFor(caller.organizationId, b);
      const generation: GenerationOptions = {
        personality: b.personalities?.[0],
        test_profile: b.test_profile,
        first_message: b.first_message,
        tags: b.tags,
        tool_ids: b.tool_ids,
        folder_path: b.folder_path,
        inbound_phone_number: b.inbound_phone_number,
        expected_outcome: b.expected_outcome,
      };
      const body = ScenarioAgentBody.parse({ user_message: b.extra_instructions, agent_id: agentId, num_scenarios: b.num_scenarios, tool_ids: b.tool_ids });
      const job = await startScenarioAgentJob(deps, caller, body, generation as Record<string, unknown>);
      return { progress_id: job.progress_id, session_id: null };
    },
  );

  /** The job a progress id names now: an answered question continues in a later job of the session. */
  const current = async (organizationId: number, progressId: string): Promise<Row<'jobs'>> => {
    const job = await findJobByProgressId(db, organizationId, progressId);
    if (!job || !isGeneration(job)) throw new NotFound('No generation with this progress_id.');
    const latest = job.session_id === null ? undefined : await latestJobOfSession(db, job.session_id);
    return latest && isGeneration(latest) && latest.id > job.id ? latest : job;
  };

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
      const { organizationId } = callerOf(req);
      // Followed by the job that answers now: an answer to its questions starts a later one.
      const following = await current(organizationId, progressId);
      const read = async () => progressOf(organizationId, progressId, await current(organizationId, progressId));
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
      const caller = callerOf(req);
      const job = await current(caller.organizationId, req.body.progress_id);
      if (job.status !== 'needs_clarification') throw ValidationError.field('progress_id', `This generation is ${job.status}; it is not waiting for an answer.`);
      const request = JSON.parse(job.request) as { agent_id: number; num_scenarios: number; tool_ids: string[]; generation?: Record<string, unknown> };
      const body = ScenarioAgentBody.parse({ user_message: req.body.answer, agent_id: request.agent_id, num_scenarios: request.num_scenarios, tool_ids: request.tool_ids, session_id: job.session_id });
      await startScenarioAgentJob(deps, caller, body, request.generation ?? {});
      // The original progress_id keeps working: generate-progress/ follows the session to this job.
      return { progress_id: req.body.progress_id };
    },
  );
};
