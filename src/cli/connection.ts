import fs from 'node:fs';
import { type Command, Option } from 'commander';
import { ScenaristClient } from '../client/index.js';
import { CliExit, EXIT } from './exit-codes.js';
import { type ProjectConfig, projectConfig } from './project-config.js';

export const DEFAULT_URL = 'http://127.0.0.1:8000';

export interface ConnectionOptions {
  url?: string;
  key?: string;
  keyFile?: string;
  json?: boolean;
}

/** The options every command that talks to a server takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', `server URL (default: $SCENARIST_URL, the config file's server, or ${DEFAULT_URL})`))
    .addOption(new Option('--key <key>', 'API key (default: $SCENARIST_API_KEY); --key-file keeps it out of shell history'))
    .addOption(
      new Option(
        '--key-file <file>',
        'read the API key from a file, or from standard input with "-" (default: $SCENARIST_API_KEY_FILE, the config file\'s key_file)',
      ),
    )
    .option('--json', 'print the result as JSON on stdout, for scripts')
    .addHelpText('after', EXIT_HELP);
}

const EXIT_HELP = '\nExit codes: 0 done, 1 failed (server unreachable, job failed), 2 usage or invalid input, 3 conflict, 4 not found or key refused.';

/** The server URL: the flag, then SCENARIST_URL, then the repository's config file. */
export function serverUrl(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env, config: ProjectConfig | null = projectConfig()): string {
  return opts.url ?? env.SCENARIST_URL ?? config?.server ?? DEFAULT_URL;
}

function readKeyFile(file: string, from: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new CliExit(
      EXIT.usage,
      `Cannot read the API key from ${file === '-' ? 'standard input' : file} (${from}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const key = text.trim();
  if (!key || /\s/.test(key)) throw new CliExit(EXIT.usage, `${file === '-' ? 'Standard input' : file} (${from}) should hold one API key and nothing else.`);
  return key;
}

/** The API key: --key, --key-file, SCENARIST_API_KEY, SCENARIST_API_KEY_FILE, then the config file's key_file. */
function apiKey(opts: ConnectionOptions, env: NodeJS.ProcessEnv, config: ProjectConfig | null): string | undefined {
  if (opts.key) return opts.key;
  if (opts.keyFile) return readKeyFile(opts.keyFile, '--key-file');
  if (env.SCENARIST_API_KEY) return env.SCENARIST_API_KEY;
  if (env.SCENARIST_API_KEY_FILE) return readKeyFile(env.SCENARIST_API_KEY_FILE, 'SCENARIST_API_KEY_FILE');
  if (config?.keyFile) return readKeyFile(config.keyFile, `key_file in ${config.file}`);
  return undefined;
}

export function clientFrom(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env, config: ProjectConfig | null = projectConfig()): ScenaristClient {
  const url = serverUrl(opts, env, config);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliExit(EXIT.usage, `Not a URL: "${url}" (--url or SCENARIST_URL), e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliExit(EXIT.usage, `The server URL must be http:// or https://, not "${url}".`);
  const key = apiKey(opts, env, config);
  if (!key) {
    throw new CliExit(
      EXIT.usage,
      'No API key: pass --key-file <file> (or - for standard input), set SCENARIST_API_KEY, or name a key_file in scenarist.yaml (the server prints a key on its first start; `scenarist keys create` makes more).',
    );
  }
  return new ScenaristClient({ baseUrl: url, apiKey: key });
}

/** Writes JSON for scripts: stable two-space indentation and a final newline. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
