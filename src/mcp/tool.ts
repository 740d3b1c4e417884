import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ApiError } from '../client/errors.js';
import type { ScenaristClient } from '../client/index.js';

/** A JSON Schema of an object, as MCP lists a tool's input and output. */
export type ObjectSchema = { type: 'object'; [key: string]: unknown };

/** What a tool call can use: the API (as the caller's key), the request's abort signal, and progress. */
export interface ToolContext {
  client: ScenaristClient;
  signal: AbortSignal;
  /** Sends a progress notification when the caller asked for them (a `progressToken`); a no-op otherwise. */
  progress(done: number, total: number, message?: string): Promise<void>;
}

export interface McpTool {
  name: string;
  title: string;
  description: string;
  inputSchema: ObjectSchema;
  outputSchema?: ObjectSchema;
  annotations?: ToolAnnotations;
  call(args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult>;
}

/** A tool's answer: a text for people and models, and the same value as structured content. */
export interface ToolAnswer {
  text: string;
  /** Sent as structured content when the tool declares an output schema (the API's own answer, so it conforms). */
  value: unknown;
}

/** MCP lists schemas as JSON Schema; these are derived from the zod schemas the tools parse with. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): ObjectSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return { ...json, type: 'object' } as ObjectSchema;
}

/**
 * A tool whose arguments are a zod object: parsed before `run`, so malformed arguments come back as
 * a tool error naming each field (as the API's 400 does) and never reach the API.
 */
export function defineTool<I extends z.ZodObject>(def: {
  name: string;
  title: string;
  description: string;
  input: I;
  output?: z.ZodObject;
  annotations?: ToolAnnotations;
  run(input: z.output<I>, ctx: ToolContext): Promise<ToolAnswer>;
}): McpTool {
  return {
    name: def.name,
    title: def.title,
    description: def.description,
    inputSchema: jsonSchemaOf(def.input, 'input'),
    outputSchema: def.output ? jsonSchemaOf(def.output, 'output') : undefined,
    annotations: { title: def.title, ...def.annotations },
    async call(args, ctx) {
      const parsed = def.input.safeParse(args);
      if (!parsed.success) return errorResult(`Invalid arguments: ${describeIssues(parsed.error)}`);
      try {
        const answer = await def.run(parsed.data, ctx);
        return { content: [{ type: 'text', text: answer.text }], ...(def.output ? { structuredContent: answer.value as Record<string, unknown> } : {}) };
      } catch (e) {
        return errorFrom(e);
      }
    },
  };
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`).join('; ');
}

export const errorResult = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

/** A refused API call is a tool error carrying the API's own message (its field errors or detail). */
export function errorFrom(e: unknown): CallToolResult {
  if (e instanceof ApiError) return errorResult(e.message);
  if (e instanceof ToolRefusal) return errorResult(e.message);
  if (e instanceof Error && e.name === 'AbortError') return errorResult('The request was cancelled.');
  return errorResult(e instanceof Error ? e.message : String(e));
}

/** Thrown by a tool that will not go on (a missing confirmation, nothing to apply): said to the caller as is. */
export class ToolRefusal extends Error {}

export const json = (value: unknown) => JSON.stringify(value, null, 2);
