import type { ScenarioEngine } from '../agent/engine.js';
import type { FailureKind } from '../domain/job-failure.js';
import type { JobStatus, TokenUsage } from '../domain/jobs.js';
import type { JobResult } from '../domain/suggestion.js';
import type { Db, Tx } from '../store/db.js';
import type { KeptBatch } from '../store/job-batches.js';
import type { Row } from '../store/schema.js';
import type { ToolCall } from '../store/sessions.js';
import type { JobBudget } from './budget.js';

export interface JobContext {
  db: Db;
  job: Row<'jobs'>;
  /** The job's request, parsed once for the runner and the handler (an apply's is megabytes). */
  request: unknown;
  engine: ScenarioEngine;
  /** What the job may still spend: handed to the engine, which asks it before each model call. */
  budget: JobBudget;
  signal: AbortSignal;
  now(): string;
  /**
   * Records units done for the progress bar; usage so far rides along. With `finished`, the batch
   * that just finished is kept with the job in the same write, so a worker taking the job over
   * after this one dies does not run it again.
   */
  progress(done: number, total: number, usage?: TokenUsage, finished?: KeptBatch): Promise<void>;
  /** Batches finished under earlier claims of this job (a worker that died or shut down): reuse, don't rerun. */
  keptBatches(): Promise<KeptBatch[]>;
}

export interface JobOutcome {
  status: Exclude<JobStatus, 'in_progress' | 'cancelled'>;
  result: JobResult;
  error: string | null;
  usage: TokenUsage;
  /** The assistant's turn in the job's session. */
  reply: { content: string; toolCalls: ToolCall[] };
  progress?: { done: number; total: number };
  /** Why a failed job failed, so a client can tell a request worth sending again (domain/job-failure.ts); `error` when not said. */
  failure?: FailureKind;
  /**
   * Writes that must land with the job's final state, in the same transaction (apply). Throwing
   * `OutcomeInstead` rolls them back and records that outcome instead.
   */
  commit?: (tx: Tx) => Promise<void>;
}

/** Thrown by a commit that found it must not write: the job ends with this outcome, nothing written. */
export class OutcomeInstead extends Error {
  constructor(readonly outcome: JobOutcome) {
    super(outcome.error ?? 'outcome replaced');
  }
}

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;
