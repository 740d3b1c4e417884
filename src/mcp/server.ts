import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { ScenaristClient } from '../client/index.js';
import { type OpenApiDocument, referenceTools } from './reference-tools.js';
import { projectScenariosResource, readProjectScenarios } from './resources.js';
import { scenaristTools } from './scenarist-tools.js';
import { errorResult, type McpTool } from './tool.js';

export interface McpServerOptions {
  /** The API, as the caller's key: every tool acts with that key's organization and nothing else. */
  client: ScenaristClient;
  /** This API's OpenAPI document: the reference-named tools take their argument schemas from it. */
  openapi: OpenApiDocument;
  version: string;
}

/**
 * The scenario agent as MCP tools: Scenarist's own tools for the whole improve → review → apply loop,
 * plus one tool per operation under the reference's tool names, and a resource per project.
 */
export function createMcpServer(opts: McpServerOptions): Server {
  const tools = new Map<string, McpTool>();
  for (const t of [...scenaristTools(), ...referenceTools(opts.openapi)]) tools.set(t.name, t);

  const server = new Server(
    { name: 'scenarist', title: 'Scenarist', version: opts.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'Scenarist keeps test scenarios for voice and chat AI agents. Use find_scenarios to pick scenarios, improve_scenarios or draft_scenarios to get suggestions (nothing is written), show_suggestions to review them, and apply_suggestions with confirm: true to write them.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: [...tools.values()].map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: t.inputSchema,
      ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
      ...(t.annotations ? { annotations: t.annotations } : {}),
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const tool = tools.get(req.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `No tool named "${req.params.name}".`);
    const token = req.params._meta?.progressToken;
    const args = req.params.arguments ?? {};
    if (typeof args !== 'object' || Array.isArray(args)) return errorResult('Invalid arguments: an object is expected.');
    return tool.call(args, {
      client: opts.client,
      signal: extra.signal,
      progress: async (progress, total, message) => {
        if (token === undefined) return;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total, ...(message ? { message } : {}) } });
      },
    });
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates: [projectScenariosResource.template] }));
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: await projectScenariosResource.list(opts.client) }));
  server.setRequestHandler(ReadResourceRequestSchema, async (req) => ({ contents: await readProjectScenarios(opts.client, req.params.uri) }));

  return server;
}
