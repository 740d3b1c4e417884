import type { GenerateInstructionsBody, ImproveInstructionsBody } from '../domain/instructions.js';
import type { ScenarioAgentBody } from '../domain/scenario-agent.js';
import type { Row } from '../store/schema.js';
import { type Caller, nowOf, type ServiceContext } from './context.js';
import { submitScenarioAgent } from './submit.js';
import { type SubmitOptions, submitGenerateInstructions, submitImproveInstructions, submitScenarioInstructions } from './submit-instructions.js';

/**
 * Starting a job is two steps in this order: commit its row (with its session turn), then tell a
 * worker. The row is the truth; a dispatch that never arrives only delays the job until a sweep.
 */
function dispatched(ctx: ServiceContext, job: Row<'jobs'>): Row<'jobs'> {
  ctx.notifyJob?.(job.progress_id);
  return job;
}

/**
 * A scenario-agent request: improve, clarify (draft new scenarios) or apply, as the body says;
 * `generation` runs a clarify request as a background generation (generate-bg/).
 */
export async function startScenarioAgentJob(
  ctx: ServiceContext,
  caller: Caller,
  body: ScenarioAgentBody,
  generation?: Record<string, unknown>,
): Promise<Row<'jobs'>> {
  return dispatched(ctx, await submitScenarioAgent(ctx.store.db, ctx.config, caller, body, nowOf(ctx), generation));
}

export type InstructionsRequest =
  | { kind: 'generate'; body: GenerateInstructionsBody }
  | { kind: 'improve'; body: ImproveInstructionsBody }
  | { kind: 'scenario'; scenarioId: number; message: string; opts?: SubmitOptions };

/** An instructions job: for a scenario payload, for an agent, or for one stored scenario. */
export async function startInstructionsJob(ctx: ServiceContext, caller: Caller, request: InstructionsRequest): Promise<Row<'jobs'>> {
  const { db } = ctx.store;
  const now = nowOf(ctx);
  const job =
    request.kind === 'generate'
      ? await submitGenerateInstructions(db, ctx.config, caller, request.body, now)
      : request.kind === 'improve'
        ? await submitImproveInstructions(db, ctx.config, caller, request.body, now)
        : await submitScenarioInstructions(db, ctx.config, caller, request.scenarioId, request.message, now, request.opts);
  return dispatched(ctx, job);
}
