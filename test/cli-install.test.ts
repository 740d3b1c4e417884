import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { hasTmux, shellLine, tmuxServer } from './helpers/tmux.js';

let s: TestServer;
let cli: CliRunner;
let dir: string;
const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-install-'));
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the command itself', () => {
  it('prints its version', async () => {
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('exits 2 on a mistyped command or option at the top level, as documented', async () => {
    const typo = await cli(['improv', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'improv'");
    const option = await cli(['--frobnicate']);
    expect(option.code).toBe(2);
    const missing = await cli(['completion']);
    expect(missing.code).toBe(2);
  });

  it('keys create where there is no database says so and creates nothing', async () => {
    const empty = path.join(dir, 'elsewhere');
    const r = await cli(['keys', 'create'], { env: { SCENARIST_DATA_DIR: empty } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`No database at ${path.join(empty, 'scenarist.db')}`);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(empty)).toBe(false);
  });

  it("keys create against the server's data directory prints a key that the server accepts", async () => {
    const r = await cli(['keys', 'create', '--name', 'ci'], { env: { SCENARIST_DATA_DIR: s.dataDir } });
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect((await s.as(key)('GET', 'projects/')).status).toBe(200);
  });
});

describe.skipIf(!hasTmux())('shell completion', () => {
  it('completes commands, subcommands and options in bash as a person types them', async () => {
    // A `scenarist` on PATH, as a global install gives.
    const binDir = path.join(dir, 'bin');
    fs.mkdirSync(binDir, { recursive: true });
    fs.writeFileSync(path.join(binDir, 'scenarist'), `#!/bin/sh\nexec ${shellLine(cli.argv([]))} "$@"\n`, { mode: 0o755 });
    const tmux = tmuxServer(cli.env({ PATH: `${binDir}:${process.env.PATH}` }));
    try {
      const t = await tmux.open();
      await t.type('source <(scenarist completion bash); echo READY');
      await t.press('Enter');
      await t.waitFor(/^READY\n\$$/m);
      // The screen drops trailing spaces, so each step types on right after the completed word:
      // text that lands after a space shows that completion added one.
      await t.type('scenarist scen');
      await t.press('Tab');
      await t.waitFor(/^\$ scenarist scenarios$/m);
      await t.type('exp');
      await t.press('Tab');
      await t.waitFor(/^\$ scenarist scenarios export$/m);
      await t.type('--pro');
      await t.press('Tab');
      await t.type('X');
      await t.waitFor(/^\$ scenarist scenarios export --project X$/m);
    } finally {
      await tmux.kill();
    }
  });
});
