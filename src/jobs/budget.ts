import type { CallGate } from '../agent/engine.js';
import type { Config } from '../config.js';
import { type BudgetLimits, budgetStop, type CallEstimate, costOf, type JobCaps, noCalls, type Price, priceFor } from '../domain/cost.js';
import type { TokenUsage } from '../domain/jobs.js';
import { monthOf } from '../domain/usage-month.js';
import type { Db } from '../store/db.js';
import { keptBatches } from '../store/job-batches.js';
import { getProject } from '../store/projects.js';
import type { Row } from '../store/schema.js';
import { monthSpent } from '../store/usage.js';

/**
 * What a running job may still spend on model calls. Each call is promised its estimate before it
 * is made (so batches running at once cannot together overshoot) and settled with what it really
 * used; a call that would go over a limit is refused with the reason.
 */
export class JobBudget implements CallGate {
  readonly #limits: BudgetLimits;
  readonly #price: Price | null;
  #spent = { tokens: 0, cost: 0 };
  #promised = { tokens: 0, cost: 0 };
  /** Once a call is refused the job stops: later calls are refused too, even smaller ones. */
  #stopped: string | null = null;

  constructor(limits: BudgetLimits, price: Price | null) {
    this.#limits = limits;
    this.#price = price;
  }

  get limited(): boolean {
    return this.#limits.maxTokens !== null || this.#limits.maxCost !== null || this.#limits.monthlyRemaining !== null;
  }

  /** Promises the call its estimate, or answers why it must not be made. */
  reserve(next: CallEstimate): string | null {
    if (this.#stopped) return this.#stopped;
    const committed = { tokens: this.#spent.tokens + this.#promised.tokens, cost: this.#spent.cost + this.#promised.cost };
    const reason = budgetStop(committed, next, this.#price, this.#limits);
    if (reason) return (this.#stopped = reason);
    this.#promised.tokens += next.input_tokens + next.output_tokens;
    this.#promised.cost += this.#price ? costOf(next, this.#price) : 0;
    return null;
  }

  /** The call is over: its promise is replaced by what it used. */
  settle(promised: CallEstimate, used: Partial<TokenUsage> | undefined): void {
    this.#promised.tokens -= promised.input_tokens + promised.output_tokens;
    this.#promised.cost -= this.#price ? costOf(promised, this.#price) : 0;
    const u = { input_tokens: used?.input_tokens ?? 0, output_tokens: used?.output_tokens ?? 0, cached_input_tokens: used?.cached_input_tokens ?? 0 };
    this.#spent.tokens += u.input_tokens + u.output_tokens;
    this.#spent.cost += this.#price ? costOf(u, this.#price) : 0;
  }
}

/** The budget a job runs under: its own caps and what its project has left this month. */
export async function budgetFor(db: Db, config: Pick<Config, 'model' | 'prices'>, job: Row<'jobs'>, request: unknown): Promise<JobBudget> {
  const caps = (request as { budget?: JobCaps }).budget ?? {};
  let monthlyRemaining: number | null = null;
  if (job.project_id !== null) {
    const project = await getProject(db, job.organization_id, job.project_id).catch(() => null);
    if (project?.monthly_budget != null) {
      const { from, to } = monthOf(job.created_at);
      monthlyRemaining = project.monthly_budget - (await monthSpent(db, job.organization_id, job.project_id, from, to, job.id));
    }
  }
  const budget = new JobBudget({ maxTokens: caps.max_tokens ?? null, maxCost: caps.max_cost ?? null, monthlyRemaining }, priceFor(config.prices, config.model));
  // A job resumed after its worker died has already spent what its kept batches cost.
  for (const kept of await keptBatches(db, job.id)) budget.settle(noCalls(), kept.usage);
  return budget;
}

/** Usage with its cost at the configured price (null when the model has none) and the model named. */
export function pricedUsage(config: Pick<Config, 'model' | 'prices'>, usage: TokenUsage): TokenUsage & { cost_usd: number | null; model: string } {
  const price = priceFor(config.prices, config.model);
  return { ...usage, cost_usd: price ? costOf(usage, price) : null, model: config.model };
}
