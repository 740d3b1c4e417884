import { BudgetStopped, type InstructionsOutput, type InstructionsScenario } from '../../agent/engine.js';
import { type InstructionsJobRequest, instructionsChange, proposedChanges } from '../../domain/instructions.js';
import { type FailureKind, failureOfModelError } from '../../domain/job-failure.js';
import { addUsage, emptyUsage, type TokenUsage } from '../../domain/jobs.js';
import { checkScenarioRules, type ScenarioFields } from '../../domain/scenario.js';
import { blankResult } from '../../domain/suggestion.js';
import { loadProjectFacts, type ProjectFacts } from '../../store/agent-context.js';
import type { Executor } from '../../store/db.js';
import type { JobContext, JobHandler, JobOutcome } from '../types.js';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function failed(error: string, usage: TokenUsage, failure: FailureKind = 'error'): JobOutcome {
  return {
    status: 'failed',
    result: { ...blankResult('instructions'), success: false, message: error },
    error,
    usage,
    reply: { content: error, toolCalls: [] },
    progress: { done: 0, total: 1 },
    failure,
  };
}

/**
 * Writes or improves one scenario's instructions (or conditional actions) through the engine and
 * keeps them as a proposal: the result holds the change, checked against the Scenario rules, and
 * nothing is written until it is applied.
 */
export const instructionsJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job, db } = ctx;
  const req = ctx.request as InstructionsJobRequest;
  const f = req.fields;
  const { facts, scenario } = await instructionsInput(db, job.organization_id, req);
  await ctx.progress(0, 1);
  let out: InstructionsOutput;
  try {
    // The budget is asked before each model call (a re-ask after an unusable answer too).
    out = await ctx.engine.instructions({ mode: req.mode, scenario, userMessage: req.user_message, context: facts, signal: ctx.signal, budget: ctx.budget });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (e instanceof BudgetStopped) return failed(e.message, addUsage(emptyUsage(), e.usage), 'budget');
    // The model calls made before the failure were made and paid for: count them.
    const spent = addUsage(emptyUsage(), (e as { usage?: Partial<TokenUsage> } | null)?.usage);
    return failed(`The instructions could not be written: ${errorText(e)}`, spent, failureOfModelError(e));
  }
  const usage = addUsage(emptyUsage(), out.usage);
  const checked = instructionsChange(f, out);
  if ('problem' in checked) return failed(`The instructions could not be written: ${checked.problem}.`, usage);
  const after = { ...f, ...checked.change } as ScenarioFields;
  const rules = checkScenarioRules(after);
  if (!rules.empty) {
    const why = Object.entries(rules.fields)
      .map(([k, m]) => `${k}: ${m.join(' ')}`)
      .join('; ');
    return failed(`The instructions could not be written: the result breaks the scenario rules (${why}).`, usage);
  }
  const changes = proposedChanges(req.basis_changes ?? {}, f as ScenarioFields, checked.change);
  const message = Object.keys(changes).length ? out.message : `${out.message} Nothing would change.`;
  return {
    status: 'completed',
    result: {
      ...blankResult('instructions'),
      message,
      scenario_id: req.scenario_id,
      based_on_revision: req.based_on_revision,
      change: checked.change,
      changes,
      not_done: out.notDone ?? [],
    },
    error: null,
    usage,
    reply: { content: message, toolCalls: [] },
    progress: { done: 1, total: 1 },
  };
};

/** The scenario and project facts an instructions job hands its engine (and a dry run estimates). */
export async function instructionsInput(
  db: Executor,
  organizationId: number,
  req: InstructionsJobRequest,
): Promise<{ facts: ProjectFacts; scenario: InstructionsScenario }> {
  const f = req.fields;
  const facts = await loadProjectFacts(db, organizationId, req.project_id, { agentId: f.agent ?? req.agent_id });
  const personality = f.personality === null ? undefined : facts.personalities.find((p) => p.id === f.personality);
  const scenario: InstructionsScenario = {
    id: req.scenario_id,
    name: f.name,
    agent: f.agent,
    agent_name: facts.agent?.name ?? '',
    // An unsaved payload may have no personality yet: 0 names none, and the engine writes a generic caller.
    personality: f.personality ?? 0,
    personality_name: personality?.name ?? '',
    tags: f.tags,
    tool_ids: f.tool_ids,
    first_message: f.first_message,
    instructions: f.instructions,
    conditional_actions: f.conditional_actions,
    simulation_description: f.simulation_description,
    information_fields: f.information_fields,
    expected_outcome_prompt: f.expected_outcome_prompt,
    scenario_language: f.scenario_language,
    scenario_type: f.scenario_type,
    folder_path: f.folder_path,
    max_duration: f.max_duration,
  };
  return { facts, scenario };
}
