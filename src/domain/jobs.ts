/** Progress statuses of seed 002; `in_progress` covers both waiting and running jobs. */
export const JOB_STATUSES = ['in_progress', 'completed', 'needs_clarification', 'needs_agent_clarification', 'cancelled', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'needs_clarification', 'needs_agent_clarification', 'cancelled', 'failed']);

export type JobKind = 'improve' | 'clarify' | 'apply' | 'instructions';

/** Session statuses of seeds 000/001. */
export type SessionStatus = 'pending' | 'in_progress' | 'completed' | 'cancelled' | 'failed';

/** A session follows its latest job; a job waiting for the user's answer leaves the session pending. */
export function sessionStatusFor(job: JobStatus): SessionStatus {
  switch (job) {
    case 'in_progress':
      return 'in_progress';
    case 'completed':
      return 'completed';
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return 'failed';
    case 'needs_clarification':
    case 'needs_agent_clarification':
      return 'pending';
  }
}

/** A title from the first user message: its first line, cut at a word boundary. */
export function titleFromMessage(message: string, max = 80): string {
  const line = message.trim().split(/\r?\n/)[0]?.replace(/\s+/g, ' ') ?? '';
  if (line.length <= max) return line;
  const cut = line.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** Input tokens the provider read from its prompt cache (part of input_tokens, billed cheaper). */
  cached_input_tokens: number;
  model_calls: number;
}

export const emptyUsage = (): TokenUsage => ({ input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, model_calls: 0 });

export function addUsage(a: TokenUsage, b: Partial<TokenUsage> | undefined): TokenUsage {
  return {
    input_tokens: a.input_tokens + (b?.input_tokens ?? 0),
    output_tokens: a.output_tokens + (b?.output_tokens ?? 0),
    cached_input_tokens: a.cached_input_tokens + (b?.cached_input_tokens ?? 0),
    model_calls: a.model_calls + (b?.model_calls ?? 0),
  };
}
