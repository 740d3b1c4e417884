import { z } from 'zod';
import { type JobCaps, jobCostFields } from './cost.js';
import { FAILURE_KINDS, RetryRequest } from './job-failure.js';
import { type Draft, ScenarioAgentResult, type Suggestion } from './suggestion.js';
import { REVIEW_STATES } from './suggestion-review.js';

const id = () => z.number().int().positive().max(2_147_483_647);

export const ContextItem = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().max(50_000),
});

/** `scenarios`: a list of ids, a single id, or "all" (seed 004). */
export const ScenarioSelector = z.union([z.array(id()).min(1).max(100_000), id(), z.literal('all')]);

/** The body of POST scenarios/scenario-agent/ (seed 004 plus the reference's later fields). */
export const ScenarioAgentBody = z.strictObject({
  user_message: z.string().max(20_000).default('').describe("Your improvement request (e.g., 'Make instructions more detailed')"),
  agent_id: id().nullable().optional().describe('Agent ID - optional, automatically inferred from evaluators if not provided'),
  project_id: id().nullable().optional().describe('Project ID - optional, automatically inferred from evaluators if not provided'),
  session_id: id().nullable().optional().describe('Session ID for tracking - automatically created if not provided'),
  context: z.array(ContextItem).max(500).nullable().optional().describe('Conversation history for multi-turn improvements without sessions.'),
  num_scenarios: z.number().int().min(1).max(100).default(1).describe('Number of scenarios to generate in clarify mode'),
  knowledge_base: z.array(id()).max(100).optional().describe('Knowledge Base file IDs for additional context in clarify mode'),
  scenarios: ScenarioSelector.nullable().optional().describe("Evaluator IDs to improve. Provide as list [1, 2, 3] or string 'all'"),
  apply_changes: z.boolean().default(false).describe('Set to true to apply the AI-suggested changes to your evaluators'),
  updated_scenarios: z
    // Any object here: each item is read and checked field by field when the apply is submitted
    // (readUpdatedScenarios). A loose object checks 10,000 items in a few milliseconds; a record re-checks every key.
    .array(z.looseObject({}))
    .max(100_000)
    .optional()
    .describe('AI-suggested changes from previous response - use with apply_changes=true to apply them'),
  source_progress_id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      "With apply_changes: the improve or clarify job whose suggestions these are (default: the session's latest still waiting), so its review state follows and a second apply is told apart from a conflict",
    ),
  agent_resolution_response: z
    .string()
    .max(1_000)
    .default('')
    .describe("User's response when agent clarification was needed (deprecated: use agent_selections)"),
  agent_selections: z
    .record(z.string().regex(/^\d+$/, 'keys must be scenario ids'), id())
    .optional()
    .describe('Agent chosen per scenario: {scenario_id: agent_id}'),
  scenarios_needing_agent: z.array(id()).max(100_000).optional().describe('Evaluator IDs that required agent selection'),
  pending_tool_calls: z
    .array(z.record(z.string(), z.unknown()))
    .max(1_000)
    .nullable()
    .optional()
    .describe('Tool calls held from a previous agent-clarification response'),
  tool_ids: z.array(z.string().max(100)).max(50).optional().describe('Tools enabled on generated evaluators'),
  inbound_phone_numbers: z.array(id()).max(50).optional().describe('Inbound numbers attached to generated evaluators'),
  ...jobCostFields,
});
export type ScenarioAgentBody = z.infer<typeof ScenarioAgentBody>;

const COUNT_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  'a couple of': 2,
  'a pair of': 2,
  'a dozen': 12,
};
const COUNT = new RegExp(
  `\\b(\\d{1,3}|${Object.keys(COUNT_WORDS).join('|')})\\s+(?:(?:new|more|different|other|[\\p{L}-]+)\\s+)?(?:test\\s+)?(?:scenarios?|tests?|cases?|evaluators?|drafts?)\\b`,
  'iu',
);

/** The number of scenarios a request states ("write three scenarios", "2 French test cases"), if it states one (1–100). */
export function draftCountAskedFor(text: string): number | undefined {
  const m = COUNT.exec(text);
  if (!m) return undefined;
  const n = /^\d/.test(m[1]!) ? Number(m[1]) : COUNT_WORDS[m[1]!.toLowerCase()]!;
  return n >= 1 && n <= 100 ? n : undefined;
}

export const ScenarioAgentStart = z.object({
  progress_id: z.string().describe('Use this to poll for results at /scenario-agent-progress/?progress_id={id}'),
  session_id: z.number().int().describe('Session tracking ID'),
});

/** A job's model usage as every progress answer gives it. */
export const JobUsage = z
  .object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cached_input_tokens: z.number().int(),
    model_calls: z.number().int(),
    cost_usd: z.number().nullable().describe('At the configured price, once the job has ended; null without a price or before the end'),
  })
  .describe('Model tokens used so far');

export const ScenarioAgentProgress = z.object({
  progress_id: z.string(),
  session_id: z.number().int().nullable(),
  mode: z.string().describe('clarify or improve'),
  status: z.string().describe('in_progress | completed | needs_clarification | needs_agent_clarification | cancelled | failed'),
  result: ScenarioAgentResult.nullable().describe("The job's result, by its kind (improve, clarify or apply); null while status is in_progress"),
  error: z.string().nullable().describe('Error message when status is failed'),
  progress: z.object({ done: z.number().int(), total: z.number().int() }).describe('Units done and total, for a progress bar'),
  review_state: z
    .enum(REVIEW_STATES)
    .nullable()
    .describe('What was done with the suggestions: to_review, applied, partly_applied, discarded, failed, running; null when the job leaves nothing to review'),
  review_count: z.number().int().nullable().describe('How many suggestions (scenarios and drafts) the job left to review'),
  failure_kind: z
    .enum(FAILURE_KINDS)
    .nullable()
    .describe(
      'Why a failed job failed: model_unavailable (timed out or down), worker_stopped, budget, model_refused, invalid_data or error; null unless status is failed',
    ),
  retry_request: RetryRequest.nullable().describe(
    'For an improve or clarify job that failed for a passing cause (model_unavailable, worker_stopped, budget): the body that sends its request again; null otherwise',
  ),
  usage: JobUsage,
});

/** The job's stored request: what the worker needs, resolved at submit time. */
export interface ImproveJobRequest {
  user_message: string;
  scenario_ids: number[];
  agent_id: number | null;
  project_id: number;
  /** Agent chosen per scenario on an agent-clarification round trip. */
  agent_selections: Record<string, number>;
  resumed: boolean;
  /** The caps the request set (max_tokens, max_cost). */
  budget?: JobCaps;
  /**
   * Improve and apply in one job (`apply_changes: true` with no `updated_scenarios`): the valid
   * suggestions are written, with revisions, in the transaction that ends the job.
   */
  apply_changes?: boolean;
}

export interface ClarifyJobRequest {
  user_message: string;
  agent_id: number;
  project_id: number;
  num_scenarios: number;
  knowledge_base: number[];
  tool_ids: string[];
  budget?: JobCaps;
}

export interface ApplyJobRequest {
  project_id: number;
  /** The job whose suggestions these are, when known: its review state follows the apply. */
  source_job_id?: number;
  /**
   * The items as the submit read and checked them: the job takes them as they are, so no value is
   * checked twice. Requests stored before carry the client's `updated_scenarios` instead.
   */
  suggestions?: Suggestion[];
  drafts?: Draft[];
  updated_scenarios?: Array<Record<string, unknown>>;
}
