import { callEstimator } from '../agent/engines/index.js';
import type { Config } from '../config.js';
import { addEstimates, type DryRunPlan, dryRunPlan, noCalls, priceFor } from '../domain/cost.js';
import type { InstructionsJobRequest } from '../domain/instructions.js';
import type { ClarifyJobRequest, ImproveJobRequest, ScenarioAgentBody } from '../domain/scenario-agent.js';
import { chunk } from '../jobs/batches.js';
import { historyBefore } from '../jobs/history.js';
import { clarifyFacts } from '../jobs/kinds/clarify.js';
import { improveFacts } from '../jobs/kinds/improve.js';
import { instructionsInput } from '../jobs/kinds/instructions.js';
import { engineScenarios } from '../jobs/scenarios-for-engine.js';
import type { Db } from '../store/db.js';
import { loadScenarios } from '../store/scenarios.js';
import { type Caller, nowOf, type ServiceContext } from './context.js';
import type { InstructionsRequest } from './start-job.js';
import { planScenarioAgent } from './submit.js';
import { NotRecorded, submitGenerateInstructions, submitImproveInstructions, submitScenarioInstructions } from './submit-instructions.js';

/** The history a job continuing this session would read: all of it (no job of its own yet). */
const sessionHistory = (db: Db, sessionId: number | null) => historyBefore(db, { session_id: sessionId, id: 0 });

/**
 * A scenario-agent request's plan, checked as its submission would be and estimated from the
 * prompts its job would send, batch by batch. Starts nothing and writes nothing.
 */
export async function dryRunScenarioAgent(db: Db, config: Config, organizationId: number, body: ScenarioAgentBody): Promise<DryRunPlan> {
  const planned = await planScenarioAgent(db, organizationId, body);
  const estimator = callEstimator(config);
  const price = priceFor(config.prices, config.model);
  const history = await sessionHistory(db, planned.sessionId);
  if (planned.kind === 'improve') {
    const req = planned.request as ImproveJobRequest;
    const rows = await loadScenarios(db, organizationId, req.scenario_ids);
    const facts = await improveFacts(db, organizationId, req, rows);
    const { scenarios } = await engineScenarios(db, organizationId, rows);
    const batches = chunk(scenarios, estimator.batchSize);
    const estimate = batches.reduce(
      (sum, batch) => addEstimates(sum, estimator.improve({ userMessage: req.user_message, history, scenarios: batch, selection: scenarios, context: facts })),
      noCalls(),
    );
    return dryRunPlan('improve', config.model, scenarios.length, batches.length, estimate, price);
  }
  if (planned.kind === 'clarify') {
    const req = planned.request as ClarifyJobRequest;
    const facts = await clarifyFacts(db, organizationId, req);
    const answers = history
      .filter((t) => t.role === 'user')
      .map((t) => t.content)
      .filter(Boolean);
    const estimate = estimator.clarify({ userMessage: req.user_message, history, numScenarios: req.num_scenarios, context: facts, answers });
    return dryRunPlan('clarify', config.model, req.num_scenarios, 1, estimate, price);
  }
  // An apply calls no model.
  return dryRunPlan('apply', config.model, planned.total, 0, noCalls(), price);
}

/**
 * An instructions request's plan: its submission run as a dry run, whose checked request comes
 * back instead of a job, estimated from the prompt its job would send.
 */
export async function planInstructionsJob(ctx: ServiceContext, caller: Caller, request: InstructionsRequest): Promise<DryRunPlan> {
  const { db } = ctx.store;
  const now = nowOf(ctx);
  let checked: InstructionsJobRequest;
  try {
    if (request.kind === 'generate') await submitGenerateInstructions(db, ctx.config, caller, { ...request.body, dry_run: true }, now);
    else if (request.kind === 'improve') await submitImproveInstructions(db, ctx.config, caller, { ...request.body, dry_run: true }, now);
    else await submitScenarioInstructions(db, ctx.config, caller, request.scenarioId, request.message, now, { ...request.opts, dryRun: true });
    throw new Error('a dry run recorded a job');
  } catch (e) {
    if (!(e instanceof NotRecorded)) throw e;
    checked = e.request;
  }
  const { facts, scenario } = await instructionsInput(db, caller.organizationId, checked);
  const estimate = callEstimator(ctx.config).instructions({ mode: checked.mode, scenario, userMessage: checked.user_message, context: facts });
  return dryRunPlan('instructions', ctx.config.model, 1, 1, estimate, priceFor(ctx.config.prices, ctx.config.model));
}
