import type { z } from 'zod';
import { FAILURE_KINDS, type FailureKind, RETRYABLE_FAILURES, retryRequestOf } from './job-failure.js';
import { emptyUsage, type TokenUsage } from './jobs.js';
import type { ScenarioAgentProgress } from './scenario-agent.js';
import type { ScenarioAgentResult } from './suggestion.js';
import { reviewStateOf } from './suggestion-review.js';

/** The columns of a job row a progress answer is made of. */
export interface JobProgressFields {
  progress_id: string;
  session_id: number | null;
  kind: string;
  mode: string;
  status: string;
  result: string | null;
  error: string | null;
  progress_done: number;
  progress_total: number;
  usage: string;
  review_state: string | null;
  review_count: number | null;
  failure_kind: string | null;
  /** The stored request: read only for a failed job worth sending again (see retryWorthy). */
  request?: string | null;
}

const failureOf = (job: Pick<JobProgressFields, 'status' | 'failure_kind'>): FailureKind | null =>
  job.status !== 'failed' ? null : (FAILURE_KINDS as readonly string[]).includes(job.failure_kind ?? '') ? (job.failure_kind as FailureKind) : 'error';

/** Whether a job failed for a passing cause, so its request is worth sending again as it was. */
export const retryWorthy = (job: Pick<JobProgressFields, 'status' | 'failure_kind'>): boolean => {
  const failure = failureOf(job);
  return failure !== null && RETRYABLE_FAILURES.has(failure);
};

/** Builds every key of ScenarioAgentProgress and nothing else: the progress route sends it unchecked, and webhooks carry it. */
export function progressOf(job: JobProgressFields): z.infer<typeof ScenarioAgentProgress> {
  const stored = { ...emptyUsage(), ...(JSON.parse(job.usage) as Partial<TokenUsage>) };
  const cost = (stored as { cost_usd?: unknown }).cost_usd;
  const usage = {
    input_tokens: stored.input_tokens,
    output_tokens: stored.output_tokens,
    cached_input_tokens: stored.cached_input_tokens,
    model_calls: stored.model_calls,
    cost_usd: typeof cost === 'number' ? cost : null,
  };
  return {
    progress_id: job.progress_id,
    session_id: job.session_id,
    mode: job.mode,
    status: job.status,
    // A result stored before results carried their kind is given it, so clients can tell results apart.
    result: job.status === 'in_progress' || job.result === null ? null : ({ kind: job.kind, ...JSON.parse(job.result) } as ScenarioAgentResult),
    error: job.error,
    progress: { done: job.progress_done, total: job.progress_total },
    usage,
    review_state: reviewStateOf(job),
    review_count: job.review_count,
    failure_kind: failureOf(job),
    retry_request: retryWorthy(job) && job.request ? retryRequestOf(job.kind, job.request) : null,
  };
}
