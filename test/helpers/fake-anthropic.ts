import { promptScenarios, type Reply, type SeenRequest } from './fake-openai.js';

/**
 * Answers in the shape of Anthropic's Messages API, for the scripted model server of
 * fake-openai.ts (which records any request and answers whatever reply it is given): point an
 * `anthropic:` model at its URL. Structured output arrives as the `json` tool's input when the
 * request asked for it through that tool, else as text.
 */
export function anthropicMessage(
  req: SeenRequest,
  value: unknown,
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number } = {
    input_tokens: 100,
    output_tokens: 20,
  },
): Reply {
  const viaTool = (req.body?.tools ?? []).some((t: { name?: string }) => t.name === 'json');
  const content = viaTool
    ? [{ type: 'tool_use', id: 'toolu_fake_1', name: 'json', input: value }]
    : [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }];
  return {
    json: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: req.body?.model ?? 'claude-fake',
      content,
      stop_reason: viaTool ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      usage: { cache_read_input_tokens: 0, cache_creation_input_tokens: 0, ...usage },
    },
  };
}

/** Every text block of a Messages API request's system and messages, joined: what the model reads. */
export const anthropicPromptOf = (req: SeenRequest): string =>
  [...(req.body?.system ?? []), ...(req.body?.messages ?? []).flatMap((m: { content: unknown }) => (Array.isArray(m.content) ? m.content : [m.content]))]
    .map((b: { text?: string } | string) => (typeof b === 'string' ? b : (b.text ?? '')))
    .join('\n');

/** The scenario ids of the improve batch a Messages API request was sent. */
export const anthropicBatchIds = (req: SeenRequest): number[] => promptScenarios(anthropicPromptOf(req)).map((x) => x.id);
