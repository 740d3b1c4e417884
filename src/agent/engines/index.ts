import type { Config } from '../../config.js';
import type { ScenarioEngine } from '../engine.js';
import { CallPolicy, type CallPolicyOptions } from './ai-sdk/call-policy.js';
import { AiSdkEngine } from './ai-sdk/engine.js';
import { createModel } from './ai-sdk/provider.js';
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
