import { loadOperations, type RefOperation } from './reference.js';

/**
 * Requests made the way the reference's official MCP server makes them (its `cekura-mcp-server`,
 * public in the reference's docs repository): one tool per exposed operation, the tool's flat
 * arguments split into the path, the query and a JSON body. Re-stated here from what that client
 * is documented and seen to do, so a test can replay every scenario-related tool against Scenarist:
 * - an argument naming a `{placeholder}` of the path goes into the path, URL-quoted;
 * - one the operation declares `in: query` goes into the query: a list joined with commas, an
 *   object as JSON, a null left out;
 * - any other goes into the JSON body when the operation documents a body, else into the query;
 * - a body documented as an array is sent bare, from the `items` argument;
 * - every request carries `Content-Type: application/json` (a GET or DELETE with no body too) and
 *   `X-Client-Source: mcp`; any status outside 2xx is the tool failing.
 */

export interface McpTool {
  name: string;
  op: RefOperation;
}

/** The tools the reference's MCP server exposes among the in-scope operations, by tool name. */
export function referenceMcpTools(): Map<string, McpTool> {
  const tools = new Map<string, McpTool>();
  for (const op of loadOperations() as Array<RefOperation & { mcp_exposed?: boolean }>) {
    if (op.mcp_exposed && op.mcp_tool) tools.set(op.mcp_tool, { name: op.mcp_tool, op });
  }
  return tools;
}

export interface ToolRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** The HTTP request a tool call with `args` becomes. */
export function toolRequest(tool: McpTool, args: Record<string, unknown>): ToolRequest {
  const { op } = tool;
  const placeholders = new Set([...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!));
  const declaredQuery = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const hasBody = Boolean(op.requestBody);
  let path = op.path;
  const query = new URLSearchParams();
  const body: Record<string, unknown> = {};
  const toQuery = (k: string, v: unknown) => {
    if (Array.isArray(v)) query.set(k, v.map(String).join(','));
    else if (typeof v === 'object') query.set(k, JSON.stringify(v));
    else query.set(k, String(v));
  };
  for (const [k, v] of Object.entries(args)) {
    if (v === null || v === undefined) continue;
    if (placeholders.has(k)) path = path.replace(`{${k}}`, encodeURIComponent(String(v)));
    else if (declaredQuery.has(k)) toQuery(k, v);
    else if (hasBody) body[k] = v;
    else toQuery(k, v);
  }
  const jsonSchema = op.requestBody?.content['application/json']?.schema;
  const bare = jsonSchema?.type === 'array' && 'items' in body;
  return { method: op.method, path, query, body: hasBody ? (bare ? body.items : body) : undefined };
}

export interface ToolAnswer {
  status: number;
  body: unknown;
}

/** Calls one tool against `baseUrl` with the key, as the reference's MCP server would. */
export async function callTool(baseUrl: string, key: string, tool: McpTool, args: Record<string, unknown>): Promise<ToolAnswer> {
  const req = toolRequest(tool, args);
  const qs = req.query.toString();
  const res = await fetch(`${baseUrl}${req.path}${qs ? `?${qs}` : ''}`, {
    method: req.method,
    headers: { 'Content-Type': 'application/json', 'X-Client-Source': 'mcp', 'X-CEKURA-API-KEY': key, 'X-MCP-Tool': tool.name },
    body: req.body === undefined ? undefined : JSON.stringify(req.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* a non-JSON body is returned as text */
  }
  return { status: res.status, body };
}
