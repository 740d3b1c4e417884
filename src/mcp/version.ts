import { readFileSync } from 'node:fs';

// package.json sits two levels up from src/mcp/ and dist/mcp/ alike.
/** The package's own version, as `scenarist --version` and the MCP handshake report it. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
