import { BudgetStopped, type ClarifyOutput, type ClarifyRound } from '../../agent/engine.js';
import { validateDrafts } from '../../agent/validate.js';
import { failureOfModelError } from '../../domain/job-failure.js';
import { addUsage, emptyUsage, type TokenUsage } from '../../domain/jobs.js';
import type { ClarifyJobRequest } from '../../domain/scenario-agent.js';
import { blankResult, type ClarifyResult, type Draft, draftOnWire, type UpdatedScenario } from '../../domain/suggestion.js';
import { loadProjectFacts, type ProjectFacts } from '../../store/agent-context.js';
import type { Executor } from '../../store/db.js';
import type { KeptBatch } from '../../store/job-batches.js';
import { historyBefore } from '../history.js';
import { awaitReview } from '../review.js';
import type { JobContext, JobHandler, JobOutcome } from '../types.js';

/** A kept drafting round is named by its place: a resumed job asks the same rounds in the same order. */
const roundKey = (i: number) => `round:${i}`;
const roundIndex = (key: string): number | null => (/^round:(\d+)$/.test(key) ? Number(key.slice(6)) : null);

/** A drafting round as kept with the job: the engine's round, and those of its drafts that passed the job's checks as the wire shows them. */
type KeptRound = ClarifyRound & { shown: UpdatedScenario[] };

/** The rounds an unfinished clarify job has kept so far, in order. */
function keptRounds(batches: readonly KeptBatch[]): KeptRound[] {
  return batches
    .filter((k) => roundIndex(k.key) !== null)
    .sort((a, b) => roundIndex(a.key)! - roundIndex(b.key)!)
    .map((k) => k.outcome as KeptRound);
}

/** The drafts an unfinished clarify job has kept so far, as generate-progress/ lists them while it runs. */
export function keptDrafts(batches: readonly KeptBatch[]): { drafts: Draft[]; shown: UpdatedScenario[] } {
  const rounds = keptRounds(batches);
  return { drafts: rounds.flatMap((r) => r.drafts), shown: rounds.flatMap((r) => r.shown ?? []) };
}

/**
 * Drafts new scenarios for an agent, or asks what it needs to know first. Drafts are suggestions:
 * they become scenarios only through apply. Each round of drafts is kept with the job as it comes
 * (shown by generate-progress/ meanwhile), so a worker taking the job over drafts only the rest.
 */
export const clarifyJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job, db } = ctx;
  const req = ctx.request as ClarifyJobRequest;
  const facts = await clarifyFacts(db, job.organization_id, req);
  const history = await historyBefore(db, job);
  const answers = history
    .filter((t) => t.role === 'user')
    .map((t) => t.content)
    .filter(Boolean);
  const check = (drafts: readonly Draft[]) => validateDrafts(drafts, facts, req.tool_ids).issues;
  // Rounds an earlier claim of this job finished (its worker died) are handed back, not drafted again.
  const rounds: ClarifyRound[] = keptRounds(await ctx.keptBatches());
  let drafted = rounds.reduce((n, r) => n + r.drafts.length, 0);
  let spent = rounds.reduce((u, r) => addUsage(u, r.usage), emptyUsage());
  await ctx.progress(Math.min(drafted, req.num_scenarios), req.num_scenarios, spent);
  const onRound = async (round: ClarifyRound) => {
    const key = roundKey(rounds.length);
    rounds.push(round);
    drafted += round.drafts.length;
    spent = addUsage(spent, round.usage);
    const shown = validateDrafts(round.drafts, facts, req.tool_ids).accepted.map((d) =>
      draftOnWire({ ...d, scenario: { ...d.scenario, agent: req.agent_id } }),
    );
    const outcome: KeptRound = { ...round, shown };
    await ctx.progress(Math.min(drafted, req.num_scenarios), req.num_scenarios, spent, { key, units: round.drafts.length, outcome, usage: round.usage });
  };
  let out: ClarifyOutput;
  try {
    // The budget is asked before each model call the drafting rounds make.
    out = await ctx.engine.clarify({
      userMessage: req.user_message,
      history,
      numScenarios: req.num_scenarios,
      context: facts,
      answers,
      signal: ctx.signal,
      check,
      onRound,
      rounds: [...rounds],
      budget: ctx.budget,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    // Failed with what it cost: the tokens a model spent before failing are recorded with the job.
    const error = err instanceof BudgetStopped ? err.message : `The scenarios could not be drafted: ${err instanceof Error ? err.message : String(err)}`;
    const spentBefore = addUsage(emptyUsage(), (err as { usage?: Partial<TokenUsage> } | null)?.usage);
    const conversation = [...history, { role: 'user', content: req.user_message }, { role: 'assistant', content: error }];
    return {
      status: 'failed',
      result: {
        ...blankResult('clarify', job.session_id),
        success: false,
        message: error,
        user_message: error,
        conversation_history: conversation,
        error,
        ...(err instanceof BudgetStopped ? { budget_stop: error } : {}),
      },
      error,
      failure: err instanceof BudgetStopped ? 'budget' : failureOfModelError(err),
      usage: spentBefore,
      reply: { content: error, toolCalls: [] },
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
    budget_stop: out.budgetStop ?? null,
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

/** What a clarify job tells its engine of the project (and a dry run estimates): the agent, the files asked for, its scenarios. */
export function clarifyFacts(db: Executor, organizationId: number, req: ClarifyJobRequest): Promise<ProjectFacts> {
  return loadProjectFacts(db, organizationId, req.project_id, { agentId: req.agent_id, knowledgeBaseIds: req.knowledge_base, withScenarios: true });
}
