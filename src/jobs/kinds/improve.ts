import { BudgetStopped, type ImproveOutput } from '../../agent/engine.js';
import { validateSuggestions } from '../../agent/validate.js';
import { type FailureKind, failureOfModelError } from '../../domain/job-failure.js';
import { addUsage, emptyUsage, type TokenUsage } from '../../domain/jobs.js';
import type { ImproveJobRequest } from '../../domain/scenario-agent.js';
import {
  blankResult,
  type HeldToolCall,
  type ImproveResult,
  type NotDone,
  type Suggestion,
  suggestionOnWire,
  type ValidationIssue,
} from '../../domain/suggestion.js';
import { loadProjectFacts, type ProjectFacts } from '../../store/agent-context.js';
import type { Executor } from '../../store/db.js';
import { loadScenarios } from '../../store/scenarios.js';
import type { Row } from '../../store/schema.js';
import { batchedReply } from '../batched-reply.js';
import { chunk, runBatches, type Settled } from '../batches.js';
import { historyBefore } from '../history.js';
import { batchKey, keptOutcome, settledFromKept } from '../kept-batches.js';
import { awaitReview } from '../review.js';
import { engineScenarios } from '../scenarios-for-engine.js';
import type { JobContext, JobHandler, JobOutcome } from '../types.js';

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** An engine marks `fatal` an error no retry and no other batch can escape (a rejected key, an unknown model). */
const isFatal = (e: unknown) => (e as { fatal?: unknown } | null)?.fatal === true;

/** What failing batches come to: a passing cause only when every one of them failed for one. */
function failedBatchesKind(outputs: ReadonlyArray<Settled<ImproveOutput>>): FailureKind {
  const kinds = new Set(outputs.flatMap((o) => (o && !o.ok ? [failureOfModelError(o.error)] : [])));
  return kinds.size === 1 ? [...kinds][0]! : 'error';
}

/** Suggests changes to the job's scenarios; writes nothing. */
export const improveJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job, db } = ctx;
  const req = ctx.request as ImproveJobRequest;
  const rows = await loadScenarios(db, job.organization_id, req.scenario_ids);
  const facts = await improveFacts(db, job.organization_id, req, rows);
  const selections = new Map(Object.entries(req.agent_selections).map(([k, v]) => [Number(k), v]));
  // Every key of an improve result, as it is before anything is suggested.
  const base: ImproveResult = { ...blankResult('improve', job.session_id), available_agents: facts.agents };

  // Scenarios with no agent, when the request names none: ask which agent before doing anything.
  const needing = req.agent_id ? [] : rows.filter((r) => r.agent_id === null && !selections.has(r.id)).map((r) => r.id);
  const askForAgent = (scenarioIds: number[], question: string, pending: HeldToolCall[], usage: TokenUsage): JobOutcome => {
    const names = facts.agents.map((a) => `${a.agent_name} (${a.id})`).join(', ') || 'none yet — create one first';
    const message = `${question} Available agents: ${names}.`;
    return {
      status: 'needs_agent_clarification',
      result: { ...base, success: false, message, needs_agent_clarification: true, pending_tool_calls: pending, scenarios_needing_agent: scenarioIds },
      error: null,
      usage,
      reply: { content: message, toolCalls: pending },
    };
  };
  if (needing.length) {
    const pending = [
      { id: `call_${job.progress_id}`, name: 'improve_scenarios', arguments: { user_message: req.user_message, scenario_ids: req.scenario_ids } },
    ];
    return askForAgent(needing, `${needing.length} of these scenarios have no agent. Which agent do they test?`, pending, emptyUsage());
  }

  const { scenarios: viewed, targets } = await engineScenarios(db, job.organization_id, rows);
  // The engine sees the agent the user chose as the scenario's own, so it does not ask again.
  const agentNames = new Map(facts.agents.map((a) => [a.id, a.agent_name]));
  const scenarios = viewed.map((s) =>
    selections.has(s.id) ? { ...s, agent: selections.get(s.id)!, agent_name: agentNames.get(selections.get(s.id)!) ?? '' } : s,
  );
  const validationCtx = { ...facts, agentIds: new Set(facts.agents.map((a) => a.id)) };
  const check = (suggestions: Suggestion[]) => validateSuggestions(suggestions, targets, validationCtx).issues;
  const missing = req.scenario_ids.filter((id) => !targets.has(id));
  const issues: ValidationIssue[] = missing.map((id) => ({ scenario_id: id, field: null, message: `Scenario ${id} was deleted before the job ran.` }));
  const history = await historyBefore(db, job);
  const batches = chunk(scenarios, ctx.engine.batchSize);
  // Batches an earlier claim of this job finished (its worker died) are reused, not sent again:
  // the job resumes after them, with their usage counted and its progress where it was.
  const kept = new Map((await ctx.keptBatches()).map((k) => [k.key, k]));
  const outputs: Array<Settled<ImproveOutput>> = new Array(batches.length);
  let usage = emptyUsage();
  let done = 0;
  const pending: number[] = [];
  batches.forEach((batch, i) => {
    const k = kept.get(batchKey(batch));
    if (!k) {
      pending.push(i);
      return;
    }
    outputs[i] = settledFromKept(k);
    usage = addUsage(usage, k.usage);
    done += k.units;
  });
  // A fatal failure already stopped the job's batches: the same refusal would answer the rest.
  const stopped = outputs.some((o) => !o.ok && isFatal(o.error));
  await ctx.progress(done, scenarios.length, usage);
  const ran = await runBatches(
    stopped ? [] : pending.map((i) => batches[i]!),
    ctx.engine.concurrency,
    ctx.signal,
    // The engine asks the budget before each model call: a call it does not allow is never made.
    (batch) =>
      ctx.engine.improve({
        userMessage: req.user_message,
        history,
        scenarios: batch,
        selection: scenarios,
        context: facts,
        signal: ctx.signal,
        check,
        budget: ctx.budget,
      }),
    async (j, settled) => {
      const batch = batches[pending[j]!]!;
      // Tokens spent on a batch that failed were still spent.
      const spent = addUsage(emptyUsage(), settled.ok ? settled.value.usage : (settled.error as { usage?: Partial<TokenUsage> } | null)?.usage);
      usage = addUsage(usage, spent);
      // A failed batch is not work done: the bar never advances for it.
      const units = settled.ok ? batch.length : 0;
      done += units;
      // A batch the budget refused did no work: a run resuming the job asks its own budget again.
      const refused = !settled.ok && settled.error instanceof BudgetStopped;
      const kept = refused ? undefined : { key: batchKey(batch), units, outcome: keptOutcome(settled, isFatal), usage: spent };
      await ctx.progress(done, scenarios.length, usage, kept);
    },
    isFatal,
  );
  // Batches never started after a fatal stop are holes in `ran`: they stay holes in `outputs`.
  for (const [j, settled] of ran.entries()) if (settled) outputs[pending[j]!] = settled;

  // The engine found the request needs an agent these scenarios lack: hold the whole job until the user says which.
  const questions = outputs.flatMap((o) => (o.ok && o.value.agentQuestion?.scenarioIds.length ? [o.value.agentQuestion] : []));
  if (questions.length) {
    const ids = [...new Set(questions.flatMap((q) => q.scenarioIds))].sort((a, b) => a - b);
    const question = [...new Set(questions.map((q) => q.question))].join(' ');
    return askForAgent(
      ids,
      question,
      questions.flatMap((q) => q.toolCalls),
      usage,
    );
  }

  // The agent the user chose is a change of its own, based on the revision the job read.
  const proposals: Suggestion[] = [...selections].map(([scenario_id, agent]) => ({
    scenario_id,
    based_on_revision: targets.get(scenario_id)?.revision ?? null,
    changes: [{ field: 'agent', value: agent, reason: 'The agent you chose for this scenario.' }],
    notes: [],
  }));
  const replies: string[] = [];
  // What batches could not do: structured parts where the engine gives them, its prose otherwise.
  const notes: string[] = [];
  // The same part of the request is not done in every batch: named once.
  const notDone = new Map<string, NotDone>();
  const failures: ImproveResult['failed_batches'] = [];
  // Batches the budget did not allow: not failures, parts of the request left undone.
  const unpaid: number[] = [];
  let budgetStop: string | null = null;
  outputs.forEach((o, i) => {
    if (!o.ok && o.error instanceof BudgetStopped) {
      budgetStop = o.error.message;
      unpaid.push(...batches[i]!.map((s) => s.id));
    } else if (o.ok) {
      proposals.push(...o.value.suggestions);
      issues.push(...(o.value.issues ?? []));
      if (o.value.message && !replies.includes(o.value.message)) replies.push(o.value.message);
      for (const n of o.value.notDone) if (!notDone.has(n.part)) notDone.set(n.part, n);
      // A batch's own prose counts only its batch ("1 of 1 scenario"): the job's summary replaces it, and what it could not do is named once.
      notes.push(...o.value.notDone.map((n) => `I could not do "${n.part}": ${n.reason}`));
    } else {
      failures.push({ batch: i, scenario_ids: batches[i]!.map((s) => s.id), error: errorText(o.error) });
      const part = `the request, for scenario(s) ${batches[i]!.map((s) => s.id).join(', ')}`;
      notDone.set(part, { part, reason: errorText(o.error) });
    }
  });
  if (budgetStop !== null) notDone.set('budget', { part: `Scenarios ${unpaid.join(', ')}`, reason: budgetStop });
  // Stopped before anything was done: the job fails with the reason, having written and kept nothing.
  if (budgetStop !== null && !outputs.some((o) => o.ok)) {
    const error = budgetStop as string;
    return {
      status: 'failed',
      result: {
        ...base,
        success: false,
        message: error,
        validation_issues: issues,
        failed_batches: failures,
        not_done: [...notDone.values()],
        budget_stop: error,
      },
      error,
      usage,
      reply: { content: error, toolCalls: [] },
      failure: 'budget',
    };
  }
  // Batches never started leave holes, which find() visits.
  const fatal = outputs.find((o) => o && !o.ok && isFatal(o.error));
  if (fatal && !fatal.ok) {
    // No batch after it was sent: the same refusal would answer every one.
    const error = `The request could not be carried out: ${errorText(fatal.error)}`;
    const result = { ...base, success: false, message: error, validation_issues: issues, failed_batches: failures, not_done: [...notDone.values()] };
    return {
      status: 'failed',
      result,
      error,
      usage,
      reply: { content: error, toolCalls: [] },
      progress: { done, total: scenarios.length },
      failure: 'model_refused',
    };
  }
  if (batches.length && failures.length === batches.length) {
    const error = `The request could not be carried out: ${failures[0]!.error}`;
    return {
      status: 'failed',
      result: { ...base, success: false, message: error, validation_issues: issues, failed_batches: failures },
      error,
      usage,
      reply: { content: error, toolCalls: [] },
      // Every batch failed the same way, or at least not all for a passing cause: the job says the worst.
      failure: failedBatchesKind(outputs),
    };
  }

  const { accepted, issues: rejected } = validateSuggestions(proposals, targets, validationCtx);
  issues.push(...rejected);
  const names = new Map(scenarios.map((s) => [s.id, s.name]));
  const updated = accepted.map((s) => suggestionOnWire(s, names.get(s.scenario_id) ?? '', targets.get(s.scenario_id)!.fields));
  const messages = batches.length > 1 ? [batchedReply(accepted, scenarios.length, notes)] : replies;
  if (failures.length) {
    const n = failures.reduce((a, f) => a + f.scenario_ids.length, 0);
    messages.push(`${n} scenario(s) could not be processed (${failures.map((f) => f.error).join('; ')}); the others are below.`);
  }
  if (budgetStop !== null) messages.push(`${unpaid.length} scenario(s) were not looked at: ${budgetStop as string} The suggestions made before are below.`);
  const leftOut = rejected.length + outputs.reduce((n, o) => n + (o.ok ? (o.value.issues?.length ?? 0) : 0), 0);
  if (leftOut) messages.push(`${leftOut} suggestion(s) did not pass validation and were left out.`);
  // With a model configured, say when the built-in planner answered on its own: nothing was spent.
  const answeredBy = [...new Set(outputs.flatMap((o) => (o.ok && o.value.answeredBy ? [o.value.answeredBy] : [])))];
  if (answeredBy.length === 1 && answeredBy[0] === 'planner')
    messages.push('The built-in planner understood the whole request and carried it out; no model call was made.');
  const message = messages.join('\n\n') || 'No changes to suggest.';
  const toolCalls = updated.length
    ? [{ id: `call_${job.progress_id}`, name: 'suggest_changes', arguments: { scenario_ids: updated.map((u) => u.id) }, status: 'pending' }]
    : [];
  return {
    status: 'completed',
    result: {
      ...base,
      message,
      updated_scenarios: updated,
      validation_issues: issues,
      not_done: [...notDone.values()],
      failed_batches: failures,
      budget_stop: budgetStop,
      ...(answeredBy.length ? { answered_by: answeredBy.length === 1 ? answeredBy[0]! : 'planner and model' } : {}),
    },
    error: null,
    usage,
    reply: { content: message, toolCalls },
    progress: { done: scenarios.length, total: scenarios.length },
    commit: awaitReview(job.id, updated.length),
  };
};

/** What an improve job tells its engine of the project (and a dry run estimates), with the knowledge of every agent its scenarios test. */
export function improveFacts(db: Executor, organizationId: number, req: ImproveJobRequest, rows: ReadonlyArray<Row<'scenarios'>>): Promise<ProjectFacts> {
  const agentsOfRows = [...new Set(rows.flatMap((r) => (r.agent_id === null ? [] : [r.agent_id])))];
  return loadProjectFacts(db, organizationId, req.project_id, { agentId: req.agent_id, knowledgeOfAgents: agentsOfRows });
}
