import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { ScenaristClient } from '../client/index.js';
import type { OpenApiDocument } from './reference-tools.js';
import { createMcpServer } from './server.js';
import { VERSION } from './version.js';

/**
 * MCP over standard input and output, for assistants that start their tools as processes. The tools
 * call the server `client` points at, with its key; the OpenAPI document is read from that server,
 * so the reference-named tools take the argument schemas of the version actually running.
 */
export async function serveStdio(client: ScenaristClient): Promise<void> {
  const openapi = await client.requestAt<OpenApiDocument>('GET', '/openapi.json');
  const server = createMcpServer({ client, openapi, version: VERSION });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await server.connect(transport);
  await closed;
}
