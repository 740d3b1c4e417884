import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel, SystemModelMessage } from 'ai';
import { type Config, ConfigError } from '../../../config.js';

export type ProviderName = 'openai' | 'anthropic' | 'openai-compatible';

export interface ModelSetup {
  name: string;
  model: LanguageModel;
  /** Passed with every call: the answer schemas are strict-valid (see schemas.ts), so the provider constrains the answer to them. */
  providerOptions: Record<string, Record<string, boolean | string | number>>;
  /**
   * Set on the system message, which is the shared prefix of a job's calls: where a provider's
   * prompt cache needs the prefix marked. OpenAI and OpenAI-compatible servers cache a stable
   * prefix on their own and need none.
   */
  prefixOptions?: SystemModelMessage['providerOptions'];
}

/** `SCENARIST_MODEL` split into provider and model id; anything else is a configuration error. */
export function parseModelSetting(setting: string): { provider: ProviderName; modelId: string } {
  const m = /^(openai|anthropic|openai-compatible):(.+)$/.exec(setting.trim());
  if (!m || !m[2]!.trim()) {
    throw new ConfigError(
      `Invalid configuration:\n  SCENARIST_MODEL=${setting}: use "offline" or "<provider>:<model>" with provider openai, anthropic or openai-compatible`,
    );
  }
  return { provider: m[1] as ProviderName, modelId: m[2]!.trim() };
}

/** The language model `SCENARIST_MODEL` names, with the endpoint and key loadConfig resolved. */
export function createModel(config: Pick<Config, 'model' | 'llm'>): ModelSetup {
  const { provider, modelId } = parseModelSetting(config.model);
  const { apiKey, baseUrl } = config.llm;
  const missing = (what: string) => new ConfigError(`Invalid configuration:\n  SCENARIST_MODEL=${config.model}: ${what}`);
  const providerOptions = { openai: { strictJsonSchema: true }, openaiCompatible: { strictJsonSchema: true } };
  switch (provider) {
    case 'openai':
      if (!apiKey) throw missing('set OPENAI_API_KEY (or SCENARIST_LLM_API_KEY) to the API key');
      // Chat completions: what OpenAI itself and the proxies OPENAI_BASE_URL may point at all speak.
      return { name: config.model, model: createOpenAI({ apiKey, baseURL: baseUrl }).chat(modelId), providerOptions };
    case 'anthropic':
      if (!apiKey) throw missing('set ANTHROPIC_API_KEY (or SCENARIST_LLM_API_KEY) to the API key');
      return {
        name: config.model,
        model: createAnthropic({ apiKey, baseURL: baseUrl })(modelId),
        providerOptions,
        // A cache breakpoint at the end of the system message: tools, schema and system are read from the cache.
        prefixOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } },
      };
    case 'openai-compatible':
      if (!baseUrl) throw missing("set SCENARIST_LLM_BASE_URL to the server's OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1");
      return {
        name: config.model,
        // Without supportsStructuredOutputs the server is sent json_object mode and never sees the schema.
        model: createOpenAICompatible({ name: 'openai-compatible', baseURL: baseUrl, apiKey, supportsStructuredOutputs: true }).chatModel(modelId),
        providerOptions,
      };
  }
}
