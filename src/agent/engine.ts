import type { CallEstimate } from '../domain/cost.js';
import type { TokenUsage } from '../domain/jobs.js';
import type { ConditionalActions } from '../domain/scenario.js';
import type { Draft, HeldToolCall, NotDone, Suggestion, ValidationIssue } from '../domain/suggestion.js';

// The seam between jobs and engines: every engine takes and returns these types, and imports them
// from here; nothing here imports an engine.

/** A scenario as an engine sees it, with the revision its suggestion will be based on. */
export interface PlannerScenario {
  id: number;
  revision: number;
  name: string;
  agent: number | null;
  agent_name: string;
  personality: number;
  personality_name: string;
  tags: string[];
  tool_ids: string[];
  first_message: string;
  instructions: string;
  conditional_actions: unknown | null;
  simulation_description: string;
  information_fields: Record<string, unknown>;
  expected_outcome_prompt: string;
  scenario_language: string;
  scenario_type: string;
  folder_path: string | null;
  max_duration: number | null;
}

/** What an engine knows of the project around the scenarios. */
export interface PlannerContext {
  agent: { id: number; name: string; description: string; language: string } | null;
  personalities: Array<{ id: number; name: string; language: string; description: string }>;
  folders: string[]; // existing folder paths, e.g. "Sales", "Sales.Inbound"
  tools: Array<{ id: string; name: string; description?: string }>; // predefined + organization tools
  knowledgeBase: Array<{ id: number; file_name: string; text: string; agent_id?: number | null }>;
  agents?: Array<{ id: number; agent_name: string }>; // the project's agents, for asking which one a scenario tests
  agentProfiles?: Array<{ id: number; name: string; description: string; language: string }>; // every agent, with its description
  existingScenarios?: Array<{ name: string; summary: string }>; // the agent's scenarios, so drafts never repeat them
}

/** A turn of the conversation so far, as the engine sees it. */
export interface HistoryTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface ImproveInput {
  userMessage: string;
  history: HistoryTurn[];
  /** One batch of the job's scenarios; an engine may change these and no others. */
  scenarios: PlannerScenario[];
  /** Every scenario of the job, so a qualifier ("only the billing ones") reads the same in every batch. */
  selection?: PlannerScenario[];
  context: PlannerContext;
  signal: AbortSignal;
  /**
   * The job's own validation of proposed changes (the rules a user's write passes), so an engine
   * that can correct itself asks again with the problems instead of keeping its own copy of them.
   */
  check?: (suggestions: Suggestion[]) => ValidationIssue[];
  /** Asked before each model call. */
  budget?: CallGate;
}

export interface ImproveOutput {
  message: string;
  /** Only scenarios of the batch with at least one field whose value really differs. */
  suggestions: Suggestion[];
  /** Parts of the request the engine did not carry out, and why: the result's `not_done`. */
  notDone: NotDone[];
  /** Who wrote the answer when a model is configured: the built-in planner (no model call) or the model. */
  answeredBy?: 'planner' | 'model';
  /** Parts of the model's answer the engine left out before validation (e.g. fields it may not change). */
  issues?: ValidationIssue[];
  /** The request needs an agent for these scenarios (which have none): ask the user before changing anything. A tool call is held until the user answers. */
  agentQuestion?: { question: string; scenarioIds: number[]; toolCalls: HeldToolCall[] };
  usage?: Partial<TokenUsage>;
}

/**
 * What a job may still spend on model calls, asked before each one an engine makes (re-asks
 * included): a call it refuses is not made.
 */
export interface CallGate {
  /** Promises the call its estimate, or answers why it must not be made. */
  reserve(estimate: CallEstimate): string | null;
  /** The call is over: its promise is replaced by what it used. */
  settle(estimate: CallEstimate, used: Partial<TokenUsage> | undefined): void;
}

/** A model call the job's budget refused: the job stops there and keeps what it did. `usage`: what the calls before it cost. */
export class BudgetStopped extends Error {
  constructor(
    message: string,
    readonly usage?: TokenUsage,
  ) {
    super(message);
  }
}

/** One drafting round of a clarify call: what it answered and what it cost. */
export interface ClarifyRound {
  drafts: Draft[];
  message: string;
  notDone: NotDone[];
  /** The first round found the request too vague: these questions, and no drafts. */
  questions?: string[];
  usage: TokenUsage;
}

export interface ClarifyInput {
  userMessage: string;
  history: HistoryTurn[];
  numScenarios: number;
  context: PlannerContext;
  /** The user's answers to earlier clarification questions, oldest first. */
  answers: string[];
  signal: AbortSignal;
  /** The job's own validation of drafts: messages per draft index (empty when a draft is valid). */
  check?: (drafts: Draft[]) => ValidationIssue[];
  /**
   * Engines that draft in rounds call it as each round finishes, so the job shows progress and
   * keeps the round: a run that resumes the job is handed them back in `rounds` and asks only for the rest.
   */
  onRound?: (round: ClarifyRound) => Promise<void>;
  /** Rounds an earlier run of the same job finished (its worker stopped): not asked for again. */
  rounds?: ClarifyRound[];
  /** Asked before each model call. */
  budget?: CallGate;
}

export interface ClarifyOutput {
  message: string;
  needsClarification: boolean;
  questions: string[];
  drafts: Draft[];
  /** Parts of the request the engine did not carry out, and why. */
  notDone?: NotDone[];
  /** Why drafting stopped early: the budget refused the next round's call (the drafts are those made before). */
  budgetStop?: string;
  usage?: Partial<TokenUsage>;
}

/** A scenario as an instructions job sees it: an existing one (with id) or a new payload (id null). */
export type InstructionsScenario = Omit<PlannerScenario, 'id' | 'revision'> & { id: number | null };

export interface InstructionsInput {
  /** `generate` writes instructions from the scenario's fields; `improve` edits the current ones. */
  mode: 'generate' | 'improve';
  scenario: InstructionsScenario;
  /** Extra guidance (generate) or the change asked for (improve); may be empty for generate. */
  userMessage: string;
  context: PlannerContext;
  signal: AbortSignal;
  /** Asked before each model call. */
  budget?: CallGate;
}

export interface InstructionsOutput {
  message: string;
  /** New instructions, for every scenario type but `conditional_actions`. */
  instructions?: string;
  /** New conditional actions, for `scenario_type: "conditional_actions"`. */
  conditionalActions?: ConditionalActions;
  /** A suggested expected outcome, when the scenario had none. */
  expectedOutcomePrompt?: string;
  notDone?: NotDone[];
  usage?: Partial<TokenUsage>;
}

/**
 * What writes suggestions: the offline planner or a language model. Engines never write to the store.
 * An error a call throws may say what it means for the job: `fatal: true` when no retry and no other
 * batch can escape it (a rejected key), `retryable: true` when its cause passes (a timeout, an
 * outage), so the same request sent again later may succeed; `usage` is what it spent first.
 */
export interface ScenarioEngine {
  readonly name: string;
  /** Scenarios per improve call; big selections are split into batches of this size. */
  readonly batchSize: number;
  /** Batches of one job run at most this many at a time. */
  readonly concurrency: number;
  improve(input: ImproveInput): Promise<ImproveOutput>;
  clarify(input: ClarifyInput): Promise<ClarifyOutput>;
  instructions(input: InstructionsInput): Promise<InstructionsOutput>;
}
