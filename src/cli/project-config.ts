import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { CliExit, EXIT } from './exit-codes.js';

/** The names a repository's config file may have; the first found from the working directory upwards wins. */
export const CONFIG_NAMES = ['scenarist.yaml', 'scenarist.yml', '.scenarist.yaml'];

const ref = z.union([z.string().trim().min(1), z.number().int().positive()]).transform(String);

const ConfigFile = z.strictObject({
  server: z.string().url().optional().describe('the server URL'),
  project: ref.optional().describe('the project, by id or name'),
  agent: ref.optional().describe('the agent commands use when none is given'),
  scenarios: z.string().min(1).optional().describe('the directory holding the scenario files, relative to this file'),
  key_file: z.string().min(1).optional().describe('a file holding the API key, relative to this file (keep it out of git)'),
});

export interface ProjectConfig {
  /** The config file, and the directory its relative paths are taken from. */
  file: string;
  dir: string;
  server?: string;
  project?: string;
  agent?: string;
  /** Absolute paths. */
  scenarios?: string;
  keyFile?: string;
}

/** The nearest config file from `cwd` upwards, read and checked; null when there is none. */
export function findProjectConfig(cwd = process.cwd()): ProjectConfig | null {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return readProjectConfig(file);
    }
    if (path.dirname(dir) === dir) return null;
  }
}

export function readProjectConfig(file: string): ProjectConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {};
  } catch (e) {
    throw new CliExit(EXIT.usage, `${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = ConfigFile.safeParse(raw);
  if (!parsed.success) {
    throw new CliExit(
      EXIT.usage,
      [`${file} is not a valid Scenarist config:`, ...parsed.error.issues.map((i) => `  ${i.path.join('.') || '(file)'}: ${i.message}`)].join('\n'),
    );
  }
  const dir = path.dirname(file);
  const c = parsed.data;
  return {
    file,
    dir,
    server: c.server,
    project: c.project,
    agent: c.agent,
    scenarios: c.scenarios && path.resolve(dir, c.scenarios),
    keyFile: c.key_file && path.resolve(dir, c.key_file),
  };
}

let cached: ProjectConfig | null | undefined;
/** The config of the repository the command runs in, read once per process. */
export function projectConfig(): ProjectConfig | null {
  if (cached === undefined) cached = findProjectConfig();
  return cached;
}
