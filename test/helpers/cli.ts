import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunner {
  (args: string[], opts?: { input?: string; env?: Record<string, string | undefined>; cwd?: string }): Promise<CliResult>;
  /** Starts the CLI and hands back the child, for tests that signal it. */
  spawn(args: string[], env?: Record<string, string | undefined>): ReturnType<typeof spawn>;
  /** The command line and environment that run the CLI, for tests that start it themselves (in a terminal). */
  argv(args: string[]): string[];
  env(extra?: Record<string, string | undefined>): Record<string, string>;
  dispose(): void;
}

/**
 * The real CLI (src/cli/main.ts) bundled once into one file, so each run starts in a fraction of
 * the time tsx needs. Packages stay external and resolve from this project's node_modules.
 */
export async function cliRunner(server: { url: string; key: string }): Promise<CliRunner> {
  const root = path.resolve(import.meta.dirname, '../..');
  const dir = fs.mkdtempSync(path.join(root, 'node_modules', '.cache-cli-test-'));
  const entry = path.join(dir, 'cli.mjs');
  await build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: entry,
    logLevel: 'silent',
  });
  const envFor = (extra: Record<string, string | undefined> = {}): Record<string, string> => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      SCENARIST_URL: server.url,
      SCENARIST_API_KEY: server.key,
      NO_COLOR: undefined,
      FORCE_COLOR: undefined,
      ...extra,
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  };
  const start = (args: string[], env?: Record<string, string | undefined>, cwd?: string) =>
    spawn(process.execPath, [entry, ...args], { env: envFor(env), cwd: cwd ?? root, stdio: ['pipe', 'pipe', 'pipe'] });
  const run = ((args, opts = {}) =>
    new Promise<CliResult>((resolve, reject) => {
      const child = start(args, opts.env, opts.cwd);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin!.end(opts.input ?? '');
    })) as CliRunner;
  run.spawn = (args, env) => start(args, env);
  run.argv = (args) => [process.execPath, entry, ...args];
  run.env = envFor;
  run.dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  return run;
}
