import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyLine } from '../src/api/log-lines.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { hasTmux, tmuxServer } from './helpers/tmux.js';

/** `scenarist serve` as a person starts it: what its terminal shows, and what a log collector gets. */
let cli: CliRunner;
let dir: string;

beforeAll(async () => {
  // The CLI alone; serve makes its own server, so the runner's connection settings are unused.
  cli = await cliRunner({ url: 'http://127.0.0.1:1', key: 'unused' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-serve-'));
});
afterAll(() => {
  cli?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux())('the server at a terminal', () => {
  it('prints short human lines, requests only at debug, and the first key last with the page and /docs addresses', async () => {
    const tmux = tmuxServer(cli.env({ SCENARIST_DATA_DIR: path.join(dir, 'tty'), SCENARIST_PORT: '0', SCENARIST_LOG_LEVEL: 'debug' }));
    try {
      const t = await tmux.open();
      await t.run(cli.argv(['serve']));
      const screen = await t.waitFor(/^ {2}sk_scn_\S+$/m, 20_000);
      const url = /Scenarist listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(screen)![1]!;
      expect(screen).toContain(`  review page: ${url}/\n  API docs:    ${url}/docs\n`);
      expect(screen).toMatch(/^\d\d:\d\d:\d\d INFO {2}Server listening at http/m);
      expect(screen).not.toContain('{"level"');
      // The banner is the last thing the start prints.
      expect(screen.trimEnd().split('\n').at(-1)).toMatch(/^ {2}sk_scn_\S+$/);
      await fetch(`${url}/health`);
      const after = await t.waitFor(/DEBUG GET \/health 200 \d+ms/);
      expect(after.split('\n').filter((l) => l.includes('/health'))).toHaveLength(1);
      await t.press('C-c');
      await t.exited(15_000);
    } finally {
      await tmux.kill();
    }
  });
});

describe('the server without a terminal', () => {
  it('writes JSON lines, and a port in use is one sentence and exit 1', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await cli(['serve'], { env: { SCENARIST_DATA_DIR: path.join(dir, 'busy'), SCENARIST_PORT: String(port) } });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `Port ${port} on 127.0.0.1 is already in use (another Scenarist, or another program, is listening there): stop it, or start on another port with SCENARIST_PORT=${port + 1}.`,
      );
    } finally {
      busy.close();
    }
    const child = cli.spawn(['serve'], { SCENARIST_DATA_DIR: path.join(dir, 'json'), SCENARIST_PORT: '0' });
    let out = '';
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => (out += d) && out.includes('sk_scn_') && resolve()));
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    const events = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(events).toContainEqual(expect.objectContaining({ level: 30, msg: expect.stringMatching(/^Server listening at/) }));
    expect(out).not.toMatch(/^\d\d:\d\d:\d\d INFO/m);
  });
});

describe('a log line for a person', () => {
  it('is the time, the level, the message and the other fields, shortened', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 40,
        time: Date.UTC(2026, 0, 1, 9, 5, 7),
        pid: 1,
        hostname: 'h',
        msg: 'database connection lost',
        err: 'x'.repeat(100),
        attempt: 2,
      }),
      false,
    );
    expect(line).toMatch(/^\d\d:\d\d:\d\d WARN {2}database connection lost err=x{77}\.\.\. attempt=2$/);
    expect(prettyLine('not json', false)).toBe('not json');
  });
});
