import type { Config } from '../../config.js';
import { type CallEstimate, noCalls } from '../../domain/cost.js';
import type { ClarifyInput, ImproveInput, InstructionsInput, ScenarioEngine } from '../engine.js';
import { CallPolicy, type CallPolicyOptions } from './ai-sdk/call-policy.js';
import { AiSdkEngine } from './ai-sdk/engine.js';
import { modelEstimates } from './ai-sdk/estimate.js';
import { createModel } from './ai-sdk/provider.js';
import { planImprovement } from './offline/planner.js';
import { OfflineEngine } from './offline-engine.js';
import { PlannerFirstEngine } from './planner-first.js';

/** Seams for tests and benchmarks: how long backoff waits, and where its jitter comes from. */
export type EngineOverrides = Pick<CallPolicyOptions, 'sleep' | 'random' | 'retryBaseMs' | 'retryMaxMs'> & { knowledgeChars?: number };

/**
 * The engine `SCENARIST_MODEL` names; `offline` unless a model is configured. One engine serves the
 * whole process, so its call policy limits model calls across every job.
 */
export function createEngine(config: Pick<Config, 'model' | 'llm'>, overrides: EngineOverrides = {}): ScenarioEngine {
  if (config.model === 'offline') return new OfflineEngine();
  const setup = createModel(config);
  const { timeoutMs, maxRetries, concurrency, batchSize, temperature, maxOutputTokens, plannerFirst } = config.llm;
  const policy = new CallPolicy({ timeoutMs, maxRetries, concurrency, ...overrides });
  const model = new AiSdkEngine({ setup, policy, batchSize, concurrency, temperature, maxOutputTokens, knowledgeChars: overrides.knowledgeChars });
  return plannerFirst ? new PlannerFirstEngine(model) : model;
}

/** What the engine `SCENARIST_MODEL` names would send, per call, without building it (an API-only process has no engine). */
export interface CallEstimator {
  /** Scenarios per improve call, as the engine splits a selection. */
  batchSize: number;
  improve(input: Omit<ImproveInput, 'signal'>): CallEstimate;
  clarify(input: Omit<ClarifyInput, 'signal'>): CallEstimate;
  instructions(input: Omit<InstructionsInput, 'signal'>): CallEstimate;
}

export function callEstimator(config: Pick<Config, 'model' | 'llm'>): CallEstimator {
  if (config.model === 'offline') return { batchSize: new OfflineEngine().batchSize, improve: noCalls, clarify: noCalls, instructions: noCalls };
  // As PlannerFirstEngine answers: a batch the planner fully understands makes no model call.
  const improve = config.llm.plannerFirst
    ? (input: Omit<ImproveInput, 'signal'>) =>
        planImprovement(input.userMessage, input.scenarios, input.context, input.selection).understood ? noCalls() : modelEstimates.improve(input)
    : modelEstimates.improve;
  return { batchSize: config.llm.batchSize, ...modelEstimates, improve };
}
