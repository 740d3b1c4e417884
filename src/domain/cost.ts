import { z } from 'zod';
import type { TokenUsage } from './jobs.js';

/**
 * What model calls cost, known before a job runs and capped while it runs: prices per model (US
 * dollars per million tokens, from configuration), the estimate a dry run answers, and the rule
 * that stops a job before the call that would go over its budget.
 */

export const Price = z.strictObject({
  input: z.number().min(0).describe('USD per million input tokens'),
  output: z.number().min(0).describe('USD per million output tokens'),
  cached_input: z.number().min(0).optional().describe('USD per million input tokens read from the prompt cache (default: the input price)'),
});
export type Price = z.infer<typeof Price>;

/** Prices by model, named as SCENARIST_MODEL names them (`openai:gpt-4.1-mini`). */
export const PriceTable = z.record(z.string().min(1), Price);
export type PriceTable = z.infer<typeof PriceTable>;

/** The offline engine calls no model: it costs nothing. */
export function priceFor(table: PriceTable, model: string): Price | null {
  if (model === 'offline') return { input: 0, output: 0 };
  return table[model] ?? null;
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The cost of some usage at a price, cached input billed at its own rate. */
export function costOf(usage: Pick<TokenUsage, 'input_tokens' | 'output_tokens'> & { cached_input_tokens?: number }, price: Price): number {
  const cached = Math.min(usage.cached_input_tokens ?? 0, usage.input_tokens);
  const fresh = usage.input_tokens - cached;
  return round((fresh * price.input + cached * (price.cached_input ?? price.input) + usage.output_tokens * price.output) / 1e6);
}

/**
 * Tokens of a text, estimated at four characters a token: what the usual tokenizers average on
 * English prose and JSON. An estimate for planning, never for billing.
 */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** What the model calls of a job (or of one of its calls) are expected to take. */
export interface CallEstimate {
  model_calls: number;
  input_tokens: number;
  output_tokens: number;
}

export const noCalls = (): CallEstimate => ({ model_calls: 0, input_tokens: 0, output_tokens: 0 });

export const addEstimates = (a: CallEstimate, b: CallEstimate): CallEstimate => ({
  model_calls: a.model_calls + b.model_calls,
  input_tokens: a.input_tokens + b.input_tokens,
  output_tokens: a.output_tokens + b.output_tokens,
});

/** A job's own caps and what is left of its project's monthly budget; null: no limit. */
export interface BudgetLimits {
  maxTokens: number | null;
  maxCost: number | null;
  /** The project's monthly budget less what its jobs spent this month before this one. */
  monthlyRemaining: number | null;
}

/**
 * Why the next call must not be made, or null when it fits: spent (and already promised to calls in
 * flight) plus what the call is expected to take, against each limit. A limit whose cost is unknown
 * (no price for the model) cannot be checked and does not stop the job.
 */
export function budgetStop(spent: { tokens: number; cost: number }, next: CallEstimate, price: Price | null, limits: BudgetLimits): string | null {
  const tokens = spent.tokens + next.input_tokens + next.output_tokens;
  if (limits.maxTokens !== null && tokens > limits.maxTokens) {
    return `Stopped before a model call that would exceed max_tokens: ${spent.tokens} used, about ${next.input_tokens + next.output_tokens} more needed, limit ${limits.maxTokens}.`;
  }
  if (!price) return null;
  const cost = round(spent.cost + costOf(next, price));
  if (limits.maxCost !== null && cost > limits.maxCost) {
    return `Stopped before a model call that would exceed max_cost: $${spent.cost} spent, about $${round(cost - spent.cost)} more needed, limit $${limits.maxCost}.`;
  }
  if (limits.monthlyRemaining !== null && cost > limits.monthlyRemaining) {
    return `Stopped before a model call that would exceed the project's monthly budget: $${round(Math.max(0, limits.monthlyRemaining))} left this month, this job would reach $${cost}.`;
  }
  return null;
}

/** A job's own caps on model calls, as its request set them. */
export interface JobCaps {
  max_tokens?: number | null;
  max_cost?: number | null;
}

/** The caps a request body sets, or none. */
export function capsOf(body: { max_tokens?: number | null; max_cost?: number | null }): { budget?: JobCaps } {
  return body.max_tokens != null || body.max_cost != null ? { budget: { max_tokens: body.max_tokens ?? null, max_cost: body.max_cost ?? null } } : {};
}

/** The body fields every job-starting route takes: a dry run instead of the job, and the job's own caps. */
export const jobCostFields = {
  dry_run: z.boolean().optional().describe('Answer at once with the plan and its estimated tokens and cost; start nothing, write nothing'),
  max_tokens: z
    .number()
    .int()
    .positive()
    .max(1_000_000_000)
    .nullable()
    .optional()
    .describe('Stop the job before a model call that would take its tokens (input and output) past this'),
  max_cost: z
    .number()
    .positive()
    .max(1_000_000)
    .nullable()
    .optional()
    .describe('Stop the job before a model call that would take its cost (USD, at the configured price) past this'),
};

/** What a dry run answers: the job's plan, estimated from the prompts it would send. */
export const DryRunPlan = z.object({
  dry_run: z.literal(true),
  kind: z.enum(['improve', 'clarify', 'apply', 'instructions']),
  model: z.string().describe('The model the job would use (SCENARIST_MODEL)'),
  scenario_count: z.number().int().describe('Scenarios the job would read (improve, instructions) or draft (clarify)'),
  batches: z.number().int(),
  model_calls: z.number().int().describe('Calls at least; a re-ask after an answer that fails validation adds one'),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  estimated_cost: z.number().nullable().describe('USD at the configured price; null when SCENARIST_PRICES has none for the model'),
  currency: z.literal('USD'),
  price: Price.nullable().describe('USD per million tokens used for the estimate'),
});
export type DryRunPlan = z.infer<typeof DryRunPlan>;

/** A plan from its estimate: the cost at the price, when there is one. */
export function dryRunPlan(
  kind: DryRunPlan['kind'],
  model: string,
  scenarioCount: number,
  batches: number,
  estimate: CallEstimate,
  price: Price | null,
): DryRunPlan {
  return {
    dry_run: true,
    kind,
    model,
    scenario_count: scenarioCount,
    batches,
    ...estimate,
    estimated_cost: price ? costOf(estimate, price) : null,
    currency: 'USD',
    price,
  };
}
