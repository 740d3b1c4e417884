import { readFileSync } from 'node:fs';

/** The package's own version, as `scenarist --version` and the MCP handshake report it. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
