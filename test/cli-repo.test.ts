import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Scenario files kept in a repository as the source of truth: a config file says where the server,
 * the project and the files are; files are renamed, moved, edited and deleted by hand, and status,
 * import and export follow them.
 */
let s: TestServer;
let cli: CliRunner;
let client: ScenaristClient;
let repo: string;
const at = (...p: string[]) => path.join(repo, 'scenarios', ...p);
const read = (...p: string[]) => fs.readFileSync(at(...p), 'utf8');
/** The CLI run in the repository with no connection settings but its config file and key file. */
const inRepo = (args: string[], input?: string) =>
  cli(args, { cwd: path.join(repo, 'nested'), env: { SCENARIST_URL: undefined, SCENARIST_API_KEY: undefined }, input });

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-git-'));
  fs.mkdirSync(path.join(repo, 'nested'));
  fs.writeFileSync(path.join(repo, 'scenarist.yaml'), `server: ${s.url}\nscenarios: scenarios\nkey_file: .scenarist-key\n`);
  fs.writeFileSync(path.join(repo, '.scenarist-key'), `${s.key}\n`);
  const agent = (await client.aiagents.create({ project: s.defaultProjectId, agent_name: 'Billing line' })).id;
  await client.scenarios.createFolder({ project_id: s.defaultProjectId, name: 'Billing' });
  for (const name of ['Refund for a double charge', 'Late fee dispute', 'Roaming question']) {
    await client.scenarios.create({
      name,
      agent,
      personality: 1,
      folder_path: name === 'Roaming question' ? null : 'Billing',
      instructions: `About: ${name}.`,
    });
  }
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
  fs.rmSync(repo, { recursive: true, force: true });
});

describe('a repository of scenario files', () => {
  it('exports with the config file alone (server, the only project, the files directory, the key file)', async () => {
    const r = await inRepo(['scenarios', 'export']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Exported 3 scenarios of project ${s.defaultProjectId} (Default) to ${at()}`);
    expect(fs.readdirSync(at('Billing')).sort()).toEqual(['late-fee-dispute.yaml', 'refund-for-a-double-charge.yaml']);
    const status = await inRepo(['status']);
    expect(status).toMatchObject({ code: 0, stdout: `The files and project ${s.defaultProjectId} (Default) agree: 3 unchanged.\n` });
  });

  it('follows a rename in the file and a move to another directory: status shows both, import updates the same scenarios', async () => {
    const refund = read('Billing', 'refund-for-a-double-charge.yaml');
    fs.writeFileSync(
      at('Billing', 'refund-for-a-double-charge.yaml'),
      refund.replace('name: Refund for a double charge', 'name: Refund for a charge made twice'),
    );
    fs.mkdirSync(at('Billing', 'Disputes'));
    fs.renameSync(at('Billing', 'late-fee-dispute.yaml'), at('Billing', 'Disputes', 'late-fee.yaml'));

    const status = await inRepo(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      `modified      ${at('Billing', 'refund-for-a-double-charge.yaml')}  #1 Refund for a charge made twice (was "Refund for a double charge"): name`,
    );
    expect(status.stdout).toContain(
      `modified      ${at('Billing', 'Disputes', 'late-fee.yaml')}  #2 Late fee dispute (folder Billing → Billing.Disputes): folder_path`,
    );
    expect(status.stdout).toContain('2 modified, 0 new, 0 on the server only, 1 unchanged.');

    const r = await inRepo(['scenarios', 'import']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('0 created, 2 updated, 1 unchanged.');
    const all = await client.scenarios.all({ project_id: s.defaultProjectId });
    expect(all.map((x) => [x.id, x.name, x.folder_path])).toEqual([
      [1, 'Refund for a charge made twice', 'Billing'],
      [2, 'Late fee dispute', 'Billing.Disputes'],
      [3, 'Roaming question', null],
    ]);
    // The next export writes into the files where they now are, under the names given by hand.
    const exported = await inRepo(['scenarios', 'export']);
    expect(exported.stdout).toContain('0 file(s) written, 3 already up to date.');
    expect(fs.readdirSync(at('Billing')).sort()).toEqual(['Disputes', 'refund-for-a-double-charge.yaml']);
  });

  it('moves a file when its folder changes on the server', async () => {
    await client.scenarios.update(3, { folder_path: 'Billing' });
    const r = await inRepo(['scenarios', 'export']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`moved ${at('roaming-question.yaml')} → ${at('Billing', 'roaming-question.yaml')} (its folder changed)`);
    expect(fs.existsSync(at('roaming-question.yaml'))).toBe(false);
    expect(read('Billing', 'roaming-question.yaml')).not.toContain('folder_path');
  });

  it('reports two files for one scenario with both paths and imports nothing', async () => {
    fs.copyFileSync(at('Billing', 'roaming-question.yaml'), at('roaming-copy.yaml'));
    const r = await inRepo(['scenarios', 'import']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`scenario #3 is described by 2 files: ${at('Billing', 'roaming-question.yaml')}, ${at('roaming-copy.yaml')}; keep one`);
    const status = await inRepo(['status']);
    expect(status.code).toBe(2);
    expect(status.stdout).toContain(`problem       scenario #3 is described by 2 files: ${at('Billing', 'roaming-question.yaml')}, ${at('roaming-copy.yaml')}`);
    fs.rmSync(at('roaming-copy.yaml'));
  });

  it('prunes the scenario whose file was deleted, after a dry run that changes nothing', async () => {
    fs.rmSync(at('Billing', 'Disputes', 'late-fee.yaml'));
    const status = await inRepo(['status']);
    expect(status.stdout).toContain('server only   #2 Late fee dispute');
    const plain = await inRepo(['scenarios', 'import']);
    expect(plain.stdout).toContain('1 scenario of the project has no file and was left alone (#2); --prune deletes them.');
    const dry = await inRepo(['scenarios', 'import', '--prune', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would delete     #2 Late fee dispute (no file)');
    expect((await client.scenarios.all({ project_id: s.defaultProjectId })).map((x) => x.id)).toEqual([1, 2, 3]);
    const r = await inRepo(['scenarios', 'import', '--prune']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deleted    #2 Late fee dispute (no file)');
    expect((await client.scenarios.all({ project_id: s.defaultProjectId })).map((x) => x.id)).toEqual([1, 3]);
    expect((await inRepo(['scenarios', 'import', '--prune', at('Billing', 'roaming-question.yaml')])).code).toBe(2);
  });

  it('reads the key from standard input with --key-file -, and says so when no key is anywhere', async () => {
    fs.renameSync(path.join(repo, '.scenarist-key'), path.join(repo, 'key.txt'));
    try {
      const none = await inRepo(['status']);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(
        `Cannot read the API key from ${path.join(repo, '.scenarist-key')} (key_file in ${path.join(repo, 'scenarist.yaml')}): ENOENT`,
      );
      const piped = await inRepo(['status', '--key-file', '-'], `${s.key}\n`);
      expect(piped.code, piped.stderr).toBe(0);
      const wrong = await inRepo(['status', '--key-file', '-'], 'sk_scn_nope\n');
      expect(wrong.code).toBe(4);
    } finally {
      fs.renameSync(path.join(repo, 'key.txt'), path.join(repo, '.scenarist-key'));
    }
  });

  it('asks which project once there are several, and a bad config file is named with its problem', async () => {
    await client.projects.create({ name: 'Second' });
    const r = await cli(['status', at()], { cwd: os.tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `Say which project: --project <id|name>, SCENARIST_PROJECT or \`project:\` in scenarist.yaml (projects: ${s.defaultProjectId} Default,`,
    );
    expect((await cli(['status', at()], { cwd: os.tmpdir(), env: { SCENARIST_PROJECT: 'Default' } })).code).toBe(0);
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-badcfg-'));
    fs.writeFileSync(path.join(bad, 'scenarist.yaml'), 'server: not a url\nprojct: 1\n');
    const broken = await cli(['status'], { cwd: bad });
    fs.rmSync(bad, { recursive: true });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(`${path.join(bad, 'scenarist.yaml')} is not a valid Scenarist config:`);
    expect(broken.stderr).toContain('projct');
  });
});

describe('a fresh server rebuilt from the repository alone', () => {
  it('creates the agents, personalities, test profiles and scenarios the files hold, and the files then follow the new server', async () => {
    await client.personalities.create({ project: s.defaultProjectId, name: 'Impatient commuter', prompt: 'Answers in few words, in a hurry.', language: 'en' });
    const profile = await client.testProfiles.create({ project: s.defaultProjectId, agent: 1, name: 'Gold customer', information: { account: 'A-1' } });
    await client.scenarios.create({
      name: 'In a hurry',
      agent: 1,
      personality: (await client.personalities.list()).find((p) => p.name === 'Impatient commuter')!.id,
      test_profile: profile.id,
    });
    // An earlier test made a second project, so this one is named.
    const exported = await inRepo(['scenarios', 'export', '--project', 'Default']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`Wrote the agents, personalities and test profiles they refer to into ${at('_project.yaml')}.`);
    expect(read('in-a-hurry.yaml')).toContain('personality: Impatient commuter\ntest_profile: Gold customer\n');

    const fresh = await startTestServer();
    try {
      const env = { SCENARIST_URL: fresh.url, SCENARIST_API_KEY: fresh.key };
      const dry = await cli(['scenarios', 'import', '--dry-run', at()], { env });
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('would create     agent "Billing line"');
      expect(dry.stdout).toContain('would create     personality "Impatient commuter"');
      expect(dry.stdout).toContain('would create     test profile "Gold customer"');
      expect(dry.stdout).toContain('Dry run, nothing written: 3 to create, 0 to update, 0 unchanged.');
      expect((await fresh.api('GET', 'aiagents/')).body.count).toBe(0);

      const r = await cli(['scenarios', 'import', at()], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('3 created, 0 updated, 0 unchanged.');
      const rebuilt = new ScenaristClient({ baseUrl: fresh.url, apiKey: fresh.key });
      const scenarios = await rebuilt.scenarios.all();
      expect(scenarios.map((x) => [x.name, x.folder_path, x.personality_name])).toEqual([
        ['Refund for a charge made twice', 'Billing', 'Normal Male'],
        ['Roaming question', 'Billing', 'Normal Male'],
        ['In a hurry', null, 'Impatient commuter'],
      ]);
      expect((await rebuilt.testProfiles.list()).map((t) => [t.name, t.agent_name, t.information])).toEqual([
        ['Gold customer', 'Billing line', { account: 'A-1' }],
      ]);
      expect(scenarios[2]!.test_profile).toBe((await rebuilt.testProfiles.list())[0]!.id);
      // The files now carry the new server's ids, so the repository follows it from here on.
      expect(read('in-a-hurry.yaml')).toContain(`id: ${scenarios[2]!.id}\nserver: ${fresh.url}\n`);
      const status = await cli(['status', at()], { env });
      expect(status.stdout).toBe(`The files and project ${fresh.defaultProjectId} (Default) agree: 3 unchanged.\n`);
    } finally {
      await fresh.stop();
    }
  });
});
