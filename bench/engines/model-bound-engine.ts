import type { ScenarioEngine } from '../../src/agent/engine.js';
import { DelayedEngine } from './delayed-engine.js';

export interface ModelBoundOptions {
  /** How long each model call takes. */
  delayMs: number;
  /** Scenarios per call and calls in flight, as the model engine sets them. */
  batchSize: number;
  concurrency: number;
}

/**
 * The engine the model-bound benchmark times, and the one place to change when a model engine on
 * the AI SDK exists: build that engine here over `MockLanguageModelV3` (from `ai/test`) whose
 * `doGenerate` waits `delayMs` before answering, and keep `calls` counting its model calls. Until
 * then a delayed stand-in with the same batching answers.
 */
export function modelBoundEngine(opts: ModelBoundOptions): ScenarioEngine & { calls: number } {
  return new DelayedEngine(opts.delayMs, opts.batchSize, opts.concurrency);
}
