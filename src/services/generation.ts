import { NotFound, ValidationError } from '../domain/errors.js';
import { type ClarifyAnswer, type GenerateBody, generationOptionsOf, isGeneration } from '../domain/generation.js';
import { ScenarioAgentBody } from '../domain/scenario-agent.js';
import type { UpdatedScenario } from '../domain/suggestion.js';
import { keptDrafts } from '../jobs/kinds/clarify.js';
import { agentIdByAssistantId } from '../store/aiagents.js';
import { keptBatches } from '../store/job-batches.js';
import { findJobByProgressId, latestJobOfSession } from '../store/jobs.js';
import type { Row } from '../store/schema.js';
import type { Caller, ServiceContext } from './context.js';
import { startScenarioAgentJob } from './start-job.js';

/** Background generation (generate-bg/): a clarify job whose drafts are created as scenarios, and its answers. */

const agentFor = async (ctx: ServiceContext, organizationId: number, b: GenerateBody) => {
  if (b.agent_id) return b.agent_id;
  if (!b.assistant_id) throw ValidationError.field('agent_id', 'Send agent_id or assistant_id.');
  const id = await agentIdByAssistantId(ctx.store.db, organizationId, b.assistant_id);
  if (id === undefined) throw ValidationError.field('assistant_id', `No agent has assistant_id "${b.assistant_id}".`);
  return id;
};

/** Starts generating `num_scenarios` scenarios for the agent the body names (by id or assistant id). */
export async function startGeneration(ctx: ServiceContext, caller: Caller, b: GenerateBody): Promise<Row<'jobs'>> {
  const agentId = await agentFor(ctx, caller.organizationId, b);
  const body = ScenarioAgentBody.parse({ user_message: b.extra_instructions, agent_id: agentId, num_scenarios: b.num_scenarios, tool_ids: b.tool_ids });
  return startScenarioAgentJob(ctx, caller, body, generationOptionsOf(b) as Record<string, unknown>);
}

/** The job a progress id names now: an answered question continues in a later job of the session. */
export async function currentGeneration(ctx: ServiceContext, caller: Caller, progressId: string): Promise<Row<'jobs'>> {
  const { db } = ctx.store;
  const job = await findJobByProgressId(db, caller.organizationId, progressId);
  if (!job || !isGeneration(job)) throw new NotFound('No generation with this progress_id.');
  const latest = job.session_id === null ? undefined : await latestJobOfSession(db, job.session_id);
  return latest && isGeneration(latest) && latest.id > job.id ? latest : job;
}

/**
 * Answers a generation's questions: a later job of its session drafts again with the answer and
 * the same options. The original progress id keeps naming the generation (see currentGeneration).
 */
export async function answerGeneration(ctx: ServiceContext, caller: Caller, input: ClarifyAnswer): Promise<void> {
  const job = await currentGeneration(ctx, caller, input.progress_id);
  if (job.status !== 'needs_clarification') throw ValidationError.field('progress_id', `This generation is ${job.status}; it is not waiting for an answer.`);
  const request = JSON.parse(job.request) as { agent_id: number; num_scenarios: number; tool_ids: string[]; generation?: Record<string, unknown> };
  const body = ScenarioAgentBody.parse({
    user_message: input.answer,
    agent_id: request.agent_id,
    num_scenarios: request.num_scenarios,
    tool_ids: request.tool_ids,
    session_id: job.session_id,
  });
  await startScenarioAgentJob(ctx, caller, body, request.generation ?? {});
}

/** The drafts a running generation has made so far (kept as each round ends), as generate-progress/ lists them. */
export async function draftsSoFar(ctx: ServiceContext, job: Row<'jobs'>): Promise<UpdatedScenario[]> {
  if (job.status !== 'in_progress') return [];
  return keptDrafts(await keptBatches(ctx.store.db, job.id)).shown;
}
