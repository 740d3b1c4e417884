import { type Command, Option } from 'commander';
import { ScenaristClient } from '../client/index.js';
import { CliExit, EXIT } from './exit-codes.js';

export const DEFAULT_URL = 'http://127.0.0.1:8000';

export interface ConnectionOptions {
  url?: string;
  key?: string;
  json?: boolean;
}

/** The options every command that talks to a server takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `server URL (default: $SCENARIST_URL or ${DEFAULT_URL})`))
    .addOption(new Option('--key <key>', 'API key (default: $SCENARIST_API_KEY)'))
    .option('--json', 'print the result as JSON on stdout, for scripts')
    .addHelpText('after', EXIT_HELP);
}

const EXIT_HELP = '\nExit codes: 0 done, 1 failed (server unreachable, job failed), 2 usage or invalid input, 3 conflict, 4 not found or key refused.';

export function clientFrom(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): ScenaristClient {
  const url = opts.url ?? env.SCENARIST_URL ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliExit(EXIT.usage, `Not a URL: "${url}" (--url or SCENARIST_URL), e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliExit(EXIT.usage, `The server URL must be http:// or https://, not "${url}".`);
  const apiKey = opts.key ?? env.SCENARIST_API_KEY;
  if (!apiKey) {
    throw new CliExit(EXIT.usage, 'No API key: pass --key or set SCENARIST_API_KEY (the server prints one on its first start; `scenarist keys create` makes more).');
  }
  return new ScenaristClient({ baseUrl: url, apiKey });
}

/** Writes JSON for scripts: stable two-space indentation and a final newline. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
