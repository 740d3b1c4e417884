import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** The commands a team needs besides the scenario agent, run as a new user would on a fresh server. */
let s: TestServer;
let cli: CliRunner;
let client: ScenaristClient;
let dir: string;

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-cmds-'));
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('scenarist init, then the repository imported into a fresh server', () => {
  it('scaffolds a config, an agent, two scenarios and a CI example that import as they are', async () => {
    const repo = path.join(dir, 'repo');
    const r = await cli(['init', repo, '--url', s.url]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of [
      'scenarist.yaml',
      '.gitignore',
      'scenarios/_project.yaml',
      'scenarios/Billing/refund-for-a-double-charge.yaml',
      'scenarios/upgrade-to-the-unlimited-plan.yaml',
      '.github/workflows/scenarist.yml',
    ]) {
      expect(r.stdout).toContain(`created  ${path.join(repo, f)}`);
    }
    expect(fs.readFileSync(path.join(repo, '.github/workflows/scenarist.yml'), 'utf8')).toContain('scenarist improve --dry-run');
    fs.writeFileSync(path.join(repo, '.scenarist-key'), s.key);
    const env = { SCENARIST_URL: undefined, SCENARIST_API_KEY: undefined };
    const imported = await cli(['scenarios', 'import'], { cwd: repo, env });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('created    agent "Billing line"');
    expect(imported.stdout).toContain('2 created, 0 updated, 0 unchanged.');
    expect((await client.scenarios.all()).map((x) => [x.name, x.folder_path])).toEqual([
      ['Refund for a double charge', 'Billing'],
      ['Upgrade to the unlimited plan', null],
    ]);
    const again = await cli(['init', repo]);
    expect(again.stdout).toContain(`kept     ${path.join(repo, 'scenarist.yaml')} (already there)`);
    expect(fs.readFileSync(path.join(repo, 'scenarios/upgrade-to-the-unlimited-plan.yaml'), 'utf8')).toMatch(/^id: 2\nserver: /);
  });
});

describe('projects, agents and scenarios', () => {
  it('creates and lists projects and agents, with their ids', async () => {
    const p = await cli(['projects', 'create', 'Second line', '--description', 'Escalations']);
    expect(p).toMatchObject({ code: 0, stdout: 'Created project 2 (Second line).\n' });
    expect((await cli(['projects', 'list'])).stdout).toBe('ID  NAME         DESCRIPTION\n1   Default\n2   Second line  Escalations\n');
    const a = await cli([
      'agents',
      'create',
      'Escalation desk',
      '--project',
      'Second line',
      '--description',
      'Takes calls the first line could not solve.',
      '--language',
      'de',
    ]);
    expect(a).toMatchObject({ code: 0, stdout: 'Created agent 2 (Escalation desk) in project 2 (Second line).\n' });
    const u = await cli(['agents', 'update', 'Escalation desk', '--name', 'Escalations', '--no-inbound']);
    expect(u).toMatchObject({ code: 0, stdout: 'Updated agent 2 (Escalations): agent_name, inbound.\n' });
    expect((await cli(['agents', 'list', '--project', '2'])).stdout).toBe(
      'ID  NAME         LANGUAGE  DESCRIPTION\n2   Escalations  de        Takes calls the first line could not solve.\n',
    );
    const show = await cli(['agents', 'show', '2']);
    expect(show.stdout).toBe(
      'Agent 2: Escalations\nproject 2 · language de · outbound · knowledge-base files -\n\nTakes calls the first line could not solve.\n',
    );
    expect((await cli(['agents', 'update', '2'])).code).toBe(2);
    // With two projects, the one meant must be named.
    expect((await cli(['agents', 'list'])).code).toBe(2);
  });

  it('lists scenarios by tag, folder and name with their ids, and shows one as its file', async () => {
    const list = await cli(['scenarios', 'list', '--project', 'Default']);
    expect(list.stdout).toBe(
      'ID  NAME                           AGENT         FOLDER   TAGS\n1   Refund for a double charge     Billing line  Billing  billing\n2   Upgrade to the unlimited plan  Billing line  -        sales\n2 scenarios.\n',
    );
    expect((await cli(['scenarios', 'list', '--project', '1', '--tag', 'sales'])).stdout).toContain('2   Upgrade to the unlimited plan');
    expect((await cli(['scenarios', 'list', '--project', '1', '--folder', 'Billing', '--json'])).stdout).toContain('"id": 1');
    expect((await cli(['scenarios', 'list', '--project', '1', '--name', 'UNLIMITED'])).stdout).toMatch(/^2 {3}Upgrade.*\n1 scenario\.\n$/m);
    expect((await cli(['scenarios', 'list', '--project', '1', '--tag', 'nothing'])).stdout).toBe('No scenarios match.\n');
    const show = await cli(['scenarios', 'show', '1']);
    expect(show.stdout).toMatch(
      new RegExp(`^id: 1\\nserver: ${s.url}\\nname: Refund for a double charge\\nagent: Billing line\\npersonality: Normal Male\\nfolder_path: Billing\\n`),
    );
    expect((await cli(['scenarios', 'show', '99'])).code).toBe(4);
  });

  it('improve picks scenarios by tag, folder or name, and says which', async () => {
    const r = await cli(['improve', '--project', 'Default', '--tag', 'billing', '--dry-run', 'Add the DTMF tool']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Selected 1 scenario: #1.');
    expect(r.stdout).toContain('#1 Refund for a double charge');
    expect(r.stdout).not.toContain('#2 ');
    expect(r.stdout).toContain('Nothing has been written');
    const none = await cli(['improve', '--project', 'Default', '--folder', 'Nowhere', 'x']);
    expect(none.code).toBe(4);
    expect((await cli(['improve', '--project', 'Default', '--dry-run', '--apply', 'x'])).code).toBe(2);
  });
});

describe('knowledge-base files', () => {
  it('uploads a file once: the same bytes again, by kb upload or generate --kb, are not uploaded twice', async () => {
    const faq = path.join(dir, 'faq.md');
    fs.writeFileSync(faq, '# Roaming\nRoaming in the EU costs nothing extra.\n');
    const first = await cli(['kb', 'upload', '--agent', 'Billing line', faq]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('uploaded  #1 faq.md (49 characters of text)\n1 file uploaded to agent 1 (Billing line).\n');
    const again = await cli(['kb', 'upload', '--agent', '1', faq]);
    expect(again.stdout).toBe('already   #1 faq.md (same bytes; not uploaded again)\n0 files uploaded to agent 1 (Billing line).\n');
    const generated = await cli(['generate', '--agent', '1', '-n', '1', '--no-apply', '--kb', faq, 'roaming']);
    expect(generated.code, generated.stderr).toBe(0);
    expect(generated.stdout).toContain('faq.md is already knowledge-base file #1; not uploaded again.');
    expect((await client.knowledgeBaseFiles.list({ agent_id: 1 })).count).toBe(1);
    expect((await cli(['kb', 'list', '--agent', '1'])).stdout).toBe('ID  BYTES  TEXT  NAME\n1   49     49    faq.md\n');
    expect((await cli(['kb', 'delete', '1'])).stdout).toBe('Deleted 1 knowledge-base file: #1.\n');
    expect((await client.knowledgeBaseFiles.list({ agent_id: 1 })).count).toBe(0);
  });
});
