import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake server received, and whether the client hung up before it answered. */
export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** The client closed the connection while the answer was still pending (a cancelled call). */
  abandoned: boolean;
}

export type Reply = { status?: number; json?: unknown; text?: string; headers?: Record<string, string>; delayMs?: number } | { hang: true };

/**
 * A scripted answer: fixed, or computed from the request (e.g. from the scenario ids its schema
 * allows), at once or when a promise the test holds settles (a call the test lets finish).
 */
export type Script = Reply | ((req: SeenRequest) => Reply | Promise<Reply>);

export interface FakeOpenAI {
  /** Base URL to use as SCENARIST_LLM_BASE_URL (ends in /v1). */
  url: string;
  requests: SeenRequest[];
  /** Answers for the next requests, in order; when they run out, `fallback` answers. */
  enqueue(...replies: Script[]): void;
  fallback: Script;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  reset(): void;
  stop(): Promise<void>;
}

/** Usage as chat completions report it; `cached_tokens` is the part of the prompt served from the server's prefix cache. */
type ChatUsage = { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens: number } };

function chatCompletion(message: Record<string, unknown>, finishReason: string, usage: ChatUsage): Reply {
  return {
    json: {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'fake-model',
      choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** A chat completion whose message is `content` (JSON-encoded unless already a string). */
export function completion(content: unknown, usage: ChatUsage = { prompt_tokens: 100, completion_tokens: 20 }): Reply {
  return chatCompletion({ content: typeof content === 'string' ? content : JSON.stringify(content) }, 'stop', usage);
}

/** A chat completion that calls tools instead of answering. */
export function toolCalls(calls: Array<{ name: string; arguments: unknown }>): Reply {
  const tool_calls = calls.map((c, i) => ({ id: `call_fake_${i}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  return chatCompletion({ content: null, tool_calls }, 'tool_calls', { prompt_tokens: 80, completion_tokens: 10 });
}

export const errorReply = (status: number, headers: Record<string, string> = {}): Reply => ({
  status,
  headers,
  json: { error: { message: `fake error ${status}`, type: 'server_error' } },
});

/** Every message's text in a request, joined. */
export const promptOf = (req: SeenRequest): string =>
  (req.body?.messages ?? []).map((m: { content: unknown }) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n');

/** The scenarios of a prompt's scenarios block (an improve batch), as the model reads them; none in other prompts. */
export function promptScenarios(text: string): Array<{ id: number } & Record<string, unknown>> {
  const m = /<data name="scenarios">\n(.*)\n<\/data>/.exec(text);
  return m ? JSON.parse(m[1]!) : [];
}

/** The scenario ids of the batch a request was sent (its scenarios block, the last there is). */
export const batchIds = (req: SeenRequest): number[] => {
  const user = (req.body?.messages ?? []).filter((m: { role: string }) => m.role === 'user');
  for (const m of [...user].reverse()) {
    const found = promptScenarios(typeof m.content === 'string' ? m.content : JSON.stringify(m.content));
    if (found.length) return found.map((x) => x.id);
  }
  return [];
};

/**
 * An OpenAI-compatible chat-completions server on 127.0.0.1 whose every answer the test scripts:
 * JSON completions, tool calls, status codes with headers, delays, or no answer at all.
 */
export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: SeenRequest[] = [];
  const queue: Script[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const seen: SeenRequest = { path: req.url ?? '', headers: req.headers, body, abandoned: false };
      requests.push(seen);
      res.on('close', () => {
        if (!res.writableFinished) seen.abandoned = true;
      });
      for (const w of waiters.splice(0)) w();
      const script = queue.shift() ?? fake.fallback;
      void Promise.resolve(typeof script === 'function' ? script(seen) : script).then((reply) => {
        if ('hang' in reply) return;
        const send = () => {
          if (res.destroyed) return;
          const payload = reply.text ?? JSON.stringify(reply.json ?? {});
          res.writeHead(reply.status ?? 200, { 'content-type': reply.text !== undefined ? 'text/plain' : 'application/json', ...reply.headers });
          res.end(payload);
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeOpenAI = {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    fallback: errorReply(500),
    enqueue: (...replies) => queue.push(...replies),
    async waitForRequests(n, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < n) {
        if (Date.now() > deadline) throw new Error(`fake model server saw ${requests.length} of ${n} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      fake.fallback = errorReply(500);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** The configuration that points a server's model engine at the fake server, with any setting overridden. */
export const fakeModelEnv = (fake: FakeOpenAI, over: Record<string, string> = {}): Record<string, string> => ({
  SCENARIST_MODEL: 'openai-compatible:fake-model',
  SCENARIST_LLM_BASE_URL: fake.url,
  SCENARIST_LLM_API_KEY: 'sk-local',
  ...over,
});
