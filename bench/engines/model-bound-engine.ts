import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { MockLanguageModelV3 } from 'ai/test';
import { CallPolicy, realSleep } from '../../src/agent/engines/ai-sdk/call-policy.js';
import { AiSdkEngine } from '../../src/agent/engines/ai-sdk/engine.js';
import { loadConfig } from '../../src/config.js';
import { promptScenarios } from '../../test/helpers/fake-openai.js';
import { answer, promptText } from '../../test/helpers/mock-model.js';

/** One model call as the mock model received and answered it. */
export interface ModelCall {
  /** The system prompt and every message, as text. */
  sent: string;
  /** The JSON Schema of the structured output the call asked for, as text. */
  schema: string;
  /** The text the model answered. */
  received: string;
}

/**
 * What a model asked to "add the DTMF tool" answers for the scenarios it was sent: each gets the
 * DTMF tool and a tag, as structured output in the engine's schema.
 */
function typicalAnswer(opts: LanguageModelV3CallOptions): string {
  const scenarios = promptScenarios(promptText(opts)) as Array<{ id: number; tags?: string[]; tool_ids?: string[] }>;
  if (!scenarios.length) throw new Error('the prompt has no scenarios block');
  return JSON.stringify({
    message: `Added the DTMF tool and the "reviewed" tag to ${scenarios.length} scenario(s).`,
    changes: scenarios.map((s) => ({
      scenario_id: s.id,
      fields: { tool_ids: [...new Set([...(s.tool_ids ?? []), 'TOOL_DTMF'])], tags: [...new Set([...(s.tags ?? []), 'reviewed'])] },
    })),
  });
}

/**
 * The model engine on the AI SDK, as a deployment runs it (its prompts, call policy and output
 * parsing; batch size, concurrency, timeout and retries from the configuration), over a mock
 * model whose every call takes `delayMs` and answers with a typical change for its batch. `calls`
 * lists the calls the model really received.
 */
export function modelBoundEngine(opts: { delayMs: number }) {
  const { llm } = loadConfig(process.env);
  const calls: ModelCall[] = [];
  const model = new MockLanguageModelV3({
    doGenerate: async (o) => {
      await realSleep(opts.delayMs, o.abortSignal ?? new AbortController().signal);
      const received = typicalAnswer(o);
      const format = o.responseFormat;
      calls.push({ sent: promptText(o), schema: format?.type === 'json' ? JSON.stringify(format.schema ?? {}) : '', received });
      return answer(received);
    },
  });
  const policy = new CallPolicy({ timeoutMs: llm.timeoutMs, maxRetries: llm.maxRetries, concurrency: llm.concurrency });
  const engine = new AiSdkEngine({
    setup: { name: 'ai-sdk:mock', model, providerOptions: {} },
    policy,
    batchSize: llm.batchSize,
    concurrency: llm.concurrency,
  });
  return { engine, calls };
}
