import type { ClarifyOutput } from '../../agent/engine.js';
import { validateDrafts } from '../../agent/validate.js';
import { failureOfModelError } from '../../domain/job-failure.js';
import { addUsage, emptyUsage, type TokenUsage } from '../../domain/jobs.js';
import type { ClarifyJobRequest } from '../../domain/scenario-agent.js';
import { blankResult, type ClarifyResult, type Draft, draftOnWire } from '../../domain/suggestion.js';
import { loadProjectFacts } from '../../store/agent-context.js';
import { BudgetStopped } from '../budget.js';
import { historyBefore } from '../history.js';
import { awaitReview } from '../review.js';
import type { JobContext, JobHandler, JobOutcome } from '../types.js';

/**
 * Drafts new scenarios for an agent, or asks what it needs to know first. Drafts are suggestions:
 * they become scenarios only through apply.
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
  await ctx.progress(0, req.num_scenarios);
  const check = (drafts: readonly Draft[]) => validateDrafts(drafts, facts, req.tool_ids).issues;
  let out: ClarifyOutput;
  // The drafting rounds run inside the engine: the budget is asked once, for all of them.
  const refused = ctx.budget.reserve(
    ctx.estimator.clarify({ userMessage: req.user_message, history, numScenarios: req.num_scenarios, context: facts, answers }),
  );
  try {
    if (refused) throw new BudgetStopped(refused);
    const onProgress = (drafted: number, spent: TokenUsage) => ctx.progress(drafted, req.num_scenarios, spent);
    out = await ctx.engine.clarify({
      userMessage: req.user_message,
      history,
      numScenarios: req.num_scenarios,
      context: facts,
      answers,
      signal: ctx.signal,
      check,
      onProgress,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // Failed with what it cost: the tokens a model spent before failing are recorded with the job.
    const error = err instanceof BudgetStopped ? err.message : `The scenarios could not be drafted: ${err instanceof Error ? err.message : String(err)}`;
    const spent = addUsage(emptyUsage(), (err as { usage?: Partial<TokenUsage> } | null)?.usage);
    const conversation = [...history, { role: 'user', content: req.user_message }, { role: 'assistant', content: error }];
    return {
      status: 'failed',
      result: { ...blankResult('clarify', job.session_id), success: false, message: error, user_message: error, conversation_history: conversation, error },
      error,
      usage: spent,
      reply: { content: error, toolCalls: [] },
      failure: err instanceof BudgetStopped ? 'budget' : failureOfModelError(err),
    };
  }
  const usage = addUsage(emptyUsage(), out.usage);
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
