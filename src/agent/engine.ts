import type { TokenUsage } from '../domain/jobs.js';
import type { ConditionalActions } from '../domain/scenario.js';
import type { NotDone } from '../domain/suggestion.js';
import type { ValidationIssue } from './validate.js';
import type { DraftScenario, PlannedChange, PlannerContext, PlannerScenario } from './engines/offline/types.js';

export type { DraftScenario, PlannedChange, PlannerContext, PlannerScenario };

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
  context: PlannerContext;
  signal: AbortSignal;
  /**
   * The job's own validation of proposed changes (the rules a user's write passes), so an engine
   * that can correct itself asks again with the problems instead of keeping its own copy of them.
   */
  check?: (changes: PlannedChange[]) => ValidationIssue[];
}

/** A tool call an engine holds until the user answers, as the session records it. */
export type HeldToolCall = { id: string; name: string; arguments: Record<string, unknown> };

export interface ImproveOutput {
  message: string;
  changes: PlannedChange[];
  /** Parts of the request the engine could not carry out, for the assistant's reply. */
  unsupported?: string[];
  /** Every part of the request not carried out, with why: the job result's `not_done`. */
  notDone?: NotDone[];
  /** Who wrote the answer when a model is configured: the built-in planner (no model call) or the model. */
  answeredBy?: 'planner' | 'model';
  /** Parts of the model's answer the engine left out before validation (e.g. fields it may not change). */
  issues?: ValidationIssue[];
  /** The request needs an agent for these scenarios (which have none): ask the user before changing anything. */
  agentQuestion?: { question: string; scenarioIds: number[]; toolCalls: HeldToolCall[] };
  usage?: Partial<TokenUsage>;
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
  check?: (drafts: DraftScenario[]) => ValidationIssue[];
  /** Drafts made so far, with the tokens spent, for the job's progress bar; engines that draft in rounds call it per round. */
  onProgress?: (drafted: number, usage: TokenUsage) => Promise<void>;
}

export interface ClarifyOutput {
  message: string;
  needsClarification: boolean;
  questions: string[];
  drafts: DraftScenario[];
  /** Every part of the request not carried out, with why: the job result's `not_done`. */
  notDone?: NotDone[];
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
}

export interface InstructionsOutput {
  message: string;
  /** New instructions, for every scenario type but `conditional_actions`. */
  instructions?: string;
  /** New conditional actions, for `scenario_type: "conditional_actions"`. */
  conditionalActions?: ConditionalActions;
  /** A suggested expected outcome, when the scenario had none. */
  expectedOutcomePrompt?: string;
  unsupported?: string[];
  notDone?: NotDone[];
  usage?: Partial<TokenUsage>;
}

/** What writes suggestions: the offline planner or a language model. Engines never write to the store. */
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
