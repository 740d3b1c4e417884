import type { ClarifyOutput } from '../../agent/engine.js';
import { validateDrafts } from '../../agent/validate.js';
import { addUsage, emptyUsage, type TokenUsage } from '../../domain/jobs.js';
import type { ClarifyJobRequest } from '../../domain/scenario-agent.js';
import { blankResult, type ClarifyResult, type Draft, draftOnWire, type UpdatedScenario } from '../../domain/suggestion.js';
import { loadProjectFacts } from '../../store/agent-context.js';
import type { KeptBatch } from '../../store/job-batches.js';
import { BudgetStopped } from '../budget.js';
import { historyBefore } from '../history.js';
import { awaitReview } from '../review.js';
import type { JobContext, JobHandler, JobOutcome } from '../types.js';

/** Drafts of one round kept with the job: the engine's, and those of them that passed the job's checks, as the wire shows them. */
interface KeptRound {
  drafts: Draft[];
  shown: UpdatedScenario[];
}

const ROUND = 'drafts:';

/**
 * The drafts an unfinished clarify job has kept so far, in order, with what they cost: a job
 * claimed again carries on after them, and generate-progress/ lists them while it runs.
 */
export function keptDrafts(batches: readonly KeptBatch[]): { drafts: Draft[]; shown: UpdatedScenario[]; usage: TokenUsage } {
  const rounds = batches
    .filter((b) => b.key.startsWith(ROUND))
    .map((b) => ({ from: Number(b.key.slice(ROUND.length)), round: b.outcome as KeptRound, usage: b.usage }))
    .sort((a, b) => a.from - b.from);
  return {
    drafts: rounds.flatMap((r) => r.round.drafts),
    shown: rounds.flatMap((r) => r.round.shown),
    usage: rounds.reduce((sum, r) => addUsage(sum, r.usage), emptyUsage()),
  };
}

const usageSince = (now: TokenUsage, before: TokenUsage): TokenUsage => ({
  input_tokens: now.input_tokens - before.input_tokens,
  output_tokens: now.output_tokens - before.output_tokens,
  cached_input_tokens: now.cached_input_tokens - before.cached_input_tokens,
  model_calls: now.model_calls - before.model_calls,
});

/**
 * Drafts new scenarios for an agent, or asks what it needs to know first. Drafts are suggestions:
 * they become scenarios only through apply. Each round of drafts is kept with the job as it comes
 * (shown by generate-progress/ meanwhile), so a worker taking the job over drafts only the rest.
 */
export const clarifyJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job, db } = ctx;
  const req = JSON.parse(job.request) as ClarifyJobRequest;
  const facts = await loadProjectFacts(db, job.organization_id, req.project_id, {
    agentId: req.agent_id,
    knowledgeBaseIds: req.knowledge_base,
    withScenarios: true,
  });
  const history = await historyBefore(db, job);
  const answers = history
    .filter((t) => t.role === 'user')
    .map((t) => t.content)
    .filter(Boolean);
  const kept = keptDrafts(await ctx.keptBatches());
  await ctx.progress(Math.min(kept.drafts.length, req.num_scenarios), req.num_scenarios, kept.usage);
  const check = (drafts: readonly Draft[]) => validateDrafts(drafts, facts, req.tool_ids).issues;
  let out: ClarifyOutput;
  const remaining = req.num_scenarios - kept.drafts.length;
  // The drafting rounds run inside the engine: the budget is asked once, for all of them.
  const refused =
    remaining > 0
      ? ctx.budget.reserve(ctx.estimator.clarify({ userMessage: req.user_message, history, numScenarios: remaining, context: facts, answers }))
      : null;
  let reported = { count: kept.drafts.length, usage: emptyUsage() };
  const onProgress = async (drafts: Draft[], spent: TokenUsage) => {
    const fresh = drafts.slice(reported.count);
    if (!fresh.length) return;
    const shown = validateDrafts(fresh, facts, req.tool_ids).accepted.map((d) => draftOnWire({ ...d, scenario: { ...d.scenario, agent: req.agent_id } }));
    const round: KeptRound = { drafts: fresh, shown };
    const batch = { key: `${ROUND}${reported.count}`, units: fresh.length, outcome: round, usage: usageSince(spent, reported.usage) };
    reported = { count: drafts.length, usage: spent };
    await ctx.progress(Math.min(drafts.length, req.num_scenarios), req.num_scenarios, addUsage(kept.usage, spent), batch);
  };
  try {
    if (refused) throw new BudgetStopped(refused);
    out = await ctx.engine.clarify({
      userMessage: req.user_message,
      history,
      numScenarios: req.num_scenarios,
      context: facts,
      answers,
      signal: ctx.signal,
      check,
      drafted: kept.drafts,
      onProgress,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // Failed with what it cost: the tokens a model spent before failing are recorded with the job.
    const error = err instanceof BudgetStopped ? err.message : `The scenarios could not be drafted: ${err instanceof Error ? err.message : String(err)}`;
    const spent = addUsage(kept.usage, (err as { usage?: Partial<TokenUsage> } | null)?.usage);
    const conversation = [...history, { role: 'user', content: req.user_message }, { role: 'assistant', content: error }];
    return {
      status: 'failed',
      result: { ...blankResult('clarify', job.session_id), success: false, message: error, user_message: error, conversation_history: conversation, error },
      error,
      usage: spent,
      reply: { content: error, toolCalls: [] },
    };
  }
  const usage = addUsage(kept.usage, out.usage);
  const conversation = [...history, { role: 'user', content: req.user_message }, { role: 'assistant', content: out.message }];
  const base: ClarifyResult = {
    ...blankResult('clarify', job.session_id),
    message: out.message,
    user_message: out.message,
    conversation_history: conversation,
    not_done: out.notDone ?? [],
  };

  if (out.needsClarification) {
    return {
      status: 'needs_clarification',
      result: { ...base, needs_clarification: true, clarification_questions: out.questions.map((q, i) => ({ id: i + 1, question: q })) },
      error: null,
      usage,
      reply: { content: [out.message, ...out.questions.map((q) => `- ${q}`)].join('\n'), toolCalls: [] },
    };
  }

  const checked = validateDrafts(out.drafts.slice(0, req.num_scenarios), facts, req.tool_ids);
  const issues = checked.issues;
  const drafts = checked.accepted.map((d) => ({ ...d, scenario: { ...d.scenario, agent: req.agent_id } }));
  const shown = drafts.map(draftOnWire);
  const message = issues.length ? `${out.message}\n\n${issues.length} problem(s) in the drafts; those drafts were left out.` : out.message;
  return {
    status: 'completed',
    result: {
      ...base,
      message,
      user_message: message,
      base_extra_instructions: req.user_message || null,
      extra_instructions_list: drafts.map((d) => d.scenario.instructions ?? ''),
      generated_scenarios: shown,
      // The same drafts in the shape apply takes back: new scenarios (no id) for this project.
      updated_scenarios: shown,
      validation_issues: issues,
    },
    error: null,
    usage,
    reply: { content: message, toolCalls: drafts.length ? [{ name: 'suggest_changes', arguments: { new_scenarios: drafts.length }, status: 'pending' }] : [] },
    progress: { done: req.num_scenarios, total: req.num_scenarios },
    commit: awaitReview(job.id, shown.length),
  };
};
