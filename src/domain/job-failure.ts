import { z } from 'zod';
import type { JobCaps } from './cost.js';
import type { ClarifyJobRequest, ImproveJobRequest } from './scenario-agent.js';

/**
 * Why a failed job failed, as one word a client can act on:
 * - `model_unavailable`: the model timed out, could not be reached, was rate limited or had a server error;
 * - `worker_stopped`: the worker running it stopped (or crashed) more often than a job is retried;
 * - `budget`: max_tokens, max_cost or the project's monthly budget stopped it before a model call;
 * - `model_refused`: the provider refused the request (bad key, no access, unknown model, invalid request);
 * - `invalid_data`: what the job read or produced cannot be stored;
 * - `error`: anything else.
 */
export const FAILURE_KINDS = ['model_unavailable', 'worker_stopped', 'budget', 'model_refused', 'invalid_data', 'error'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Failures of a passing cause: the same request sent again later may well succeed (for a budget, once it allows). */
export const RETRYABLE_FAILURES: ReadonlySet<FailureKind> = new Set(['model_unavailable', 'worker_stopped', 'budget']);

/** Each failure's kind in words, for a person reading a terminal or an assistant's answer; none for a plain `error`. */
const FAILURE_WORDS: Record<FailureKind, string | null> = {
  model_unavailable: 'the model timed out, could not be reached, was rate limited or had a server error',
  worker_stopped: 'the worker running it stopped more often than a job is retried',
  budget: 'a token, cost or monthly budget limit stopped it before a model call',
  model_refused: 'the model provider refused the request (its key, access or model name)',
  invalid_data: 'what it read or produced cannot be stored',
  error: null,
};

/** A failure's kind in words (FAILURE_WORDS); null for a plain `error`, no kind, or one this version does not know. */
export const failureInWords = (kind: FailureKind | null | undefined): string | null => (kind ? (FAILURE_WORDS[kind] ?? null) : null);

/** When the same request may work again, in words, for a failed job worth sending again (one with a retry_request). */
export const retryWhen = (kind: FailureKind | null | undefined): string => (kind === 'budget' ? 'once the budget allows it' : 'later');

/** An engine marks `retryable` an error of a passing cause (a timeout, an outage); see agent/engine.ts. */
export const isPassingError = (e: unknown): boolean => (e as { retryable?: unknown } | null)?.retryable === true;

/** What a model call's failure means for the job it ended. */
export function failureOfModelError(e: unknown): FailureKind {
  if ((e as { fatal?: unknown } | null)?.fatal === true) return 'model_refused';
  return isPassingError(e) ? 'model_unavailable' : 'error';
}

/** The body of POST scenarios/scenario-agent/ that sends a failed improve or clarify job's request again, as it was stored. */
export const RetryRequest = z
  .object({
    user_message: z.string(),
    project_id: z.number().int(),
    agent_id: z.number().int().nullable(),
    scenarios: z.array(z.number().int()).optional().describe('The scenarios an improve was asked for'),
    apply_changes: z.boolean().optional(),
    num_scenarios: z.number().int().optional(),
    knowledge_base: z.array(z.number().int()).optional(),
    tool_ids: z.array(z.string()).optional(),
    max_tokens: z.number().optional(),
    max_cost: z.number().optional(),
  })
  .describe('The body that sends the same request again (POST scenarios/scenario-agent/, with the session_id to continue)');
export type RetryRequest = z.infer<typeof RetryRequest>;

/**
 * A stored improve or clarify request as the body that starts it again. An improve whose agents
 * were chosen on a round trip starts from its scenarios, so the question comes back rather than a
 * choice being guessed.
 */
export function retryRequestOf(kind: string, stored: string): RetryRequest | null {
  const caps = (b?: JobCaps) => ({
    ...(b?.max_tokens != null ? { max_tokens: b.max_tokens } : {}),
    ...(b?.max_cost != null ? { max_cost: b.max_cost } : {}),
  });
  if (kind === 'improve') {
    const r = JSON.parse(stored) as ImproveJobRequest;
    return {
      user_message: r.user_message,
      project_id: r.project_id,
      agent_id: r.agent_id,
      scenarios: r.scenario_ids,
      ...(r.apply_changes ? { apply_changes: true } : {}),
      ...caps(r.budget),
    };
  }
  if (kind === 'clarify') {
    const r = JSON.parse(stored) as ClarifyJobRequest;
    return {
      user_message: r.user_message,
      project_id: r.project_id,
      agent_id: r.agent_id,
      num_scenarios: r.num_scenarios,
      knowledge_base: r.knowledge_base,
      tool_ids: r.tool_ids,
      ...caps(r.budget),
    };
  }
  return null;
}
