import type { Command } from 'commander';
import { ApiError } from '../client/index.js';

/** What a client command's exit status means; scripts can rely on these (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  /** The request failed: the server could not be reached, answered 5xx, or the job failed or was cancelled. */
  failure: 1,
  /** Wrong usage or configuration: a bad option, no API key, a file that does not parse, a 400 from the server. */
  usage: 2,
  /** A conflict: the scenarios changed since the suggestion was made, or the job had already finished. */
  conflict: 3,
  /** Not found or not allowed: a wrong API key (401/403) or an id or name that does not exist (404). */
  notFound: 4,
  /** Ctrl-C: at a question, or while waiting for a job (which is then cancelled). */
  interrupted: 130,
} as const;

/** Ends a command with an exit status and a message for stderr. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CliExit) return err.code;
  if (err instanceof ApiError) {
    if (err.status === 400) return EXIT.usage;
    if (err.status === 401 || err.status === 403 || err.status === 404) return EXIT.notFound;
    if (err.status === 409) return EXIT.conflict;
  }
  return EXIT.failure;
}

/** The message a person sees for an error: field errors one per line, no stack for expected failures. */
export function messageFor(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return `Could not reach the server: ${err.message}`;
    if (err.status === 401) return `The server refused the API key (401): ${err.detail ?? ''} Check --key or SCENARIST_API_KEY.`.replace(':  ', ': ');
    const fields = err.fieldErrors;
    if (fields) return ['The server refused the request (400):', ...Object.entries(fields).map(([f, m]) => `  ${f}: ${m.join(' ')}`)].join('\n');
    return `The server answered ${err.status}: ${err.detail ?? err.message}`;
  }
  if (err instanceof CliExit) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/**
 * Wraps a command's action so every outcome becomes a documented exit status, and makes commander's
 * own usage errors (unknown option, missing argument) exit 2 instead of 1.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: an action that returns nothing exits 0; `undefined` would make every such action declare it.
export function exitingAction<A extends unknown[]>(cmd: Command, fn: (...args: A) => Promise<number | void>): Command {
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));
  return cmd.action(async (...args: unknown[]) => {
    try {
      process.exitCode = (await fn(...(args as A))) ?? EXIT.ok;
    } catch (err) {
      const message = messageFor(err);
      if (message) process.stderr.write(`${message}\n`);
      process.exitCode = exitCodeFor(err);
    }
  });
}
