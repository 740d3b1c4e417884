import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ScenaristClient } from '../client/index.js';
import type { OpenApiDocument } from './reference-tools.js';
import { createMcpServer } from './server.js';
import { VERSION } from './version.js';

/** The headers that carry the caller's credentials; the tools call the API with exactly these. */
const CREDENTIAL_HEADERS = ['x-cekura-api-key', 'authorization'] as const;

/**
 * MCP over Streamable HTTP at `/mcp`, behind the same API-key check as every route. Each POST gets a
 * server of its own (stateless), whose tools call this app's routes in-process with the caller's
 * key, so a tool can do exactly what that key can do over HTTP and nothing more.
 */
export function registerMcpEndpoint(app: FastifyInstance): void {
  const handle = async (req: FastifyRequest, body: unknown, reply: { hijack(): void; raw: import('node:http').ServerResponse }) => {
    const server = createMcpServer({ client: inProcessClient(app, req), openapi: app.swagger() as unknown as OpenApiDocument, version: VERSION });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, body);
  };
  app.post('/mcp', { schema: { hide: true } }, async (req, reply) => handle(req, req.body, reply));
  // Stateless: there is no session to resume or stream to open, which the transport answers itself (405).
  app.get('/mcp', { schema: { hide: true } }, async (req, reply) => handle(req, undefined, reply));
  app.delete('/mcp', { schema: { hide: true } }, async (req, reply) => handle(req, undefined, reply));
}

function inProcessClient(app: FastifyInstance, req: FastifyRequest): ScenaristClient {
  const credentials: Record<string, string> = {};
  for (const h of CREDENTIAL_HEADERS) {
    const v = req.headers[h];
    if (typeof v === 'string') credentials[h] = v;
  }
  const fetchInProcess: typeof fetch = async (input, init = {}) => {
    const url = new URL(String(input));
    const headers = { ...(init.headers as Record<string, string>), ...credentials };
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers,
      ...(typeof init.body === 'string' ? { payload: init.body } : {}),
    });
    const noBody = res.statusCode === 204 || res.statusCode === 304;
    return new Response(noBody ? null : res.payload, {
      status: res.statusCode,
      headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') },
    });
  };
  return new ScenaristClient({ baseUrl: 'http://in-process', fetch: fetchInProcess });
}
