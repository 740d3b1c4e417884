import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { CallPolicy, type CallPolicyOptions } from '../../src/agent/engines/ai-sdk/call-policy.js';
import { AiSdkEngine } from '../../src/agent/engines/ai-sdk/engine.js';

type Step =
  | LanguageModelV3GenerateResult
  | Error
  | ((opts: LanguageModelV3CallOptions) => Promise<LanguageModelV3GenerateResult> | LanguageModelV3GenerateResult);

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

/** A model answer whose text is `value` (JSON-encoded unless it is already a string). */
export function answer(value: unknown, tokens: [number, number] = [100, 20]): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: usage(...tokens),
    warnings: [],
  };
}

export function toolCallAnswer(toolName: string, input: unknown): LanguageModelV3GenerateResult {
  return {
    content: [{ type: 'tool-call', toolCallId: 'call_model_1', toolName, input: JSON.stringify(input) }],
    finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
    usage: usage(50, 10),
    warnings: [],
  };
}

/** Waits until the call is aborted, like a model that never answers. */
export const hang: Step = (opts) =>
  new Promise((_, reject) => opts.abortSignal?.addEventListener('abort', () => reject(opts.abortSignal!.reason), { once: true }));

/** A mock model that plays `steps` in order, one per call, and records every call's options. */
export function scriptedModel(steps: Step[]) {
  const calls: LanguageModelV3CallOptions[] = [];
  const model = new MockLanguageModelV3({
    doGenerate: async (opts) => {
      calls.push(opts);
      const step = steps.shift();
      if (!step) throw new Error('the test script has no more answers');
      if (step instanceof Error) throw step;
      return typeof step === 'function' ? step(opts) : step;
    },
  });
  return { model, calls };
}

/** The prompt text of a recorded call: system and every message, joined. */
export function promptText(opts: LanguageModelV3CallOptions): string {
  return opts.prompt
    .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => ('text' in p ? p.text : JSON.stringify(p))).join('')))
    .join('\n---\n');
}

/** An engine on a scripted model, with backoff that records its waits instead of sleeping. */
export function engineOn(steps: Step[], policy: Partial<CallPolicyOptions> = {}, batchSize = 20) {
  const { model, calls } = scriptedModel(steps);
  const waits: number[] = [];
  const p = new CallPolicy({
    timeoutMs: 2_000,
    maxRetries: 2,
    concurrency: 4,
    random: () => 0.5,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      waits.push(ms);
    },
    ...policy,
  });
  const engine = new AiSdkEngine({ setup: { name: 'mock:model', model, providerOptions: {} }, policy: p, batchSize, concurrency: 2 });
  return { engine, calls, waits, policy: p };
}
