import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Whether tmux is installed, for tests that skip themselves without it. */
export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A shell in a real terminal (a tmux pane), driven the way a person would: typing, pressing keys, reading the screen. */
export interface Terminal {
  /** Types text literally, without pressing Enter. */
  type(text: string): Promise<void>;
  /** Presses keys by tmux name: Enter, BSpace, C-c. */
  press(...keys: string[]): Promise<void>;
  /** Everything the pane has shown, scrollback included, as plain text (no colour codes, no trailing spaces); wrapped lines joined. */
  screen(opts?: { colours?: boolean }): Promise<string>;
  /** Polls the screen until it matches, or fails with what the screen showed at the deadline. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Types a command line and presses Enter; the shell prints `EXIT=<status>` when the command ends. */
  run(argv: string[]): Promise<void>;
  /** Waits for the command started by run() to end: its exit status and the screen then. */
  exited(timeoutMs?: number): Promise<{ code: number; screen: string }>;
}

export interface TmuxServer {
  /** A new 160x50 terminal running bash. */
  open(): Promise<Terminal>;
  kill(): Promise<void>;
}

/**
 * A tmux server of its own (its own socket in a temporary directory, no user configuration), so
 * tests never touch a person's sessions, and kill() takes every terminal and the socket with it.
 * Commands run asynchronously: the server under test shares this process, and a blocking call
 * would stall it.
 */
export function tmuxServer(shellEnv: Record<string, string | undefined> = process.env): TmuxServer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-tmux-'));
  const socket = path.join(dir, 'socket');
  // Shells take the server's environment, so the server gets theirs; without TMUX, so running the
  // tests inside a person's tmux starts a server of its own rather than a nested client.
  const env = { ...shellEnv, TMUX: undefined, TMUX_PANE: undefined, PS1: '$ ', HISTFILE: '/dev/null' };
  const tmux = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('tmux', ['-S', socket, '-f', '/dev/null', ...args], { env }, (err, stdout, stderr) =>
        err ? reject(new Error(`tmux ${args[0]}: ${stderr || err.message}`)) : resolve(stdout),
      ),
    );
  let sessions = 0;
  return {
    async open() {
      const target = `t${++sessions}`;
      await tmux(['new-session', '-d', '-s', target, '-x', '160', '-y', '50', 'bash', '--norc', '--noprofile', '-i']);
      const screen: Terminal['screen'] = async (opts = {}) =>
        (await tmux(['capture-pane', '-p', '-J', ...(opts.colours ? ['-e'] : []), '-S', '-', '-t', target])).trimEnd();
      const terminal: Terminal = {
        type: async (text) => void (await tmux(['send-keys', '-t', target, '-l', '--', text])),
        press: async (...keys) => void (await tmux(['send-keys', '-t', target, ...keys])),
        screen,
        async waitFor(pattern, timeoutMs = 8_000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const text = await screen();
            if (pattern.test(text)) return text;
            if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${text}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
        async run(argv) {
          await terminal.type(`${shellLine(argv)}; echo EXIT=$?`);
          await terminal.press('Enter');
        },
        async exited(timeoutMs) {
          const text = await terminal.waitFor(/^EXIT=\d+$/m, timeoutMs);
          return { code: Number(/^EXIT=(\d+)$/m.exec(text)![1]), screen: text };
        },
      };
      await terminal.waitFor(/^\$$/m);
      return terminal;
    },
    async kill() {
      await tmux(['kill-server']).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A command line for the shell, every argument quoted. */
export const shellLine = (argv: string[]) => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
