import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let cli: CliRunner;
let client: ScenaristClient;
let project: number;
let agent: number;
let dir: string;
const file = (name: string) => path.join(dir, name);
const read = (name: string) => fs.readFileSync(file(name), 'utf8');

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  project = s.defaultProjectId;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-repo-'));
  agent = (await client.aiagents.create({ project, agent_name: 'Billing line' })).id;
  const personalities = await client.personalities.list();
  const male = personalities.find((p) => p.name === 'Normal Male')!.id;
  await client.scenarios.createFolder({ project_id: project, name: 'Billing' });
  await client.scenarios.create({
    name: 'Refund for a double charge',
    agent,
    personality: male,
    folder_path: 'Billing',
    tags: ['billing'],
    max_duration: 300,
    instructions: 'You were charged twice for October.\nAsk for a refund.',
    expected_outcome_prompt: 'The agent opens a refund request.',
  });
  await client.scenarios.create({ name: 'Roaming: EU fees?', agent, personality: male, instructions: 'Ask what roaming costs in Spain.' });
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('scenarios export', () => {
  it('writes one readable file per scenario in a directory per folder, carrying its id and server; a second export changes nothing', async () => {
    const r = await cli(['scenarios', 'export', '--project', 'Default', '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `Exported 2 scenarios of project ${project} (Default) to ${dir}: 2 file(s) written, 0 already up to date.\nWrote the agents, personalities and test profiles they refer to into ${file('_project.yaml')}.\n`,
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['Billing', '_project.yaml', 'roaming-eu-fees.yaml']);
    expect(fs.readFileSync(file('_project.yaml'), 'utf8')).toContain(
      'agents:\n  - name: Billing line\n    description: ""\n    language: en\n    inbound: true\n',
    );
    expect(fs.readdirSync(file('Billing'))).toEqual(['refund-for-a-double-charge.yaml']);
    expect(read('Billing/refund-for-a-double-charge.yaml')).toBe(
      [
        'id: 1',
        `server: ${s.url}`,
        'name: Refund for a double charge',
        'agent: Billing line',
        'personality: Normal Male',
        'tags:',
        '  - billing',
        'max_duration: 300',
        'instructions: |-',
        '  You were charged twice for October.',
        '  Ask for a refund.',
        'expected_outcome_prompt: The agent opens a refund request.',
        '',
      ].join('\n'),
    );
    const again = await cli(['scenarios', 'export', '--project', String(project), '--out', dir]);
    expect(again.stdout).toBe(`Exported 2 scenarios of project ${project} (Default) to ${dir}: 0 file(s) written, 2 already up to date.\n`);
  });

  it('prints every scenario to stdout as YAML documents or a JSON array', async () => {
    const [yaml, json] = await Promise.all([
      cli(['scenarios', 'export', '--project', String(project)]),
      cli(['scenarios', 'export', '--project', String(project), '--format', 'json']),
    ]);
    expect(yaml.stdout.split('\n---\n')).toHaveLength(2);
    expect(yaml.stdout).toContain('name: "Roaming: EU fees?"');
    expect(yaml.stdout).toContain('folder_path: Billing');
    expect(JSON.parse(json.stdout).map((x: { name: string }) => x.name)).toEqual(['Refund for a double charge', 'Roaming: EU fees?']);
  });
});

describe('scenarios import', () => {
  it('creates, updates and leaves alone; a second run changes nothing', async () => {
    const refund = 'Billing/refund-for-a-double-charge.yaml';
    fs.writeFileSync(
      file(refund),
      read(refund)
        .replace('  - billing', '  - billing\n  - refunds')
        .replace(/^expected_outcome_prompt:.*\n/m, ''),
    );
    fs.mkdirSync(file('Billing/Cancellations'));
    const cancel = 'Billing/Cancellations/cancel-my-contract.yaml';
    fs.writeFileSync(
      file(cancel),
      [
        'name: Cancel my contract',
        `agent: ${agent}`,
        'personality: Angry Customer',
        'tags: [churn]',
        'instructions: |',
        '  Cancel today.',
        '  Refuse any offer twice.',
        '',
      ].join('\n'),
    );
    const dry = await cli(['scenarios', 'import', '--project', 'Default', '--dry-run', dir]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('Dry run, nothing written: 1 to create, 1 to update, 1 unchanged.');
    expect((await client.scenarios.list({ project_id: project })).count).toBe(2);
    expect(read(cancel)).not.toContain('id:');

    const r = await cli(['scenarios', 'import', '--project', 'Default', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^created {4}${file(cancel).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  #\\d+ Cancel my contract$`, 'm'));
    expect(r.stdout).toContain(`updated    ${file(refund)}  #1 Refund for a double charge (tags, expected_outcome_prompt)`);
    expect(r.stdout).toContain(`unchanged  ${file('roaming-eu-fees.yaml')}  #2 Roaming: EU fees?`);
    expect(r.stdout).toMatch(/1 created, 1 updated, 1 unchanged\.\nRecorded as changeset \d+: `scenarist changesets revert \d+` undoes the whole import\.\n$/);

    const all = await client.scenarios.all({ project_id: project });
    const created = all.find((x) => x.name === 'Cancel my contract')!;
    expect(all.find((x) => x.name === 'Refund for a double charge')).toMatchObject({ tags: ['billing', 'refunds'], expected_outcome_prompt: '' });
    expect(created).toMatchObject({
      agent,
      personality_name: 'Angry Customer',
      folder_path: 'Billing.Cancellations',
      instructions: 'Cancel today.\nRefuse any offer twice.\n',
    });
    // The hand-written file now carries its scenario's identity, the rest of it as it was.
    expect(read(cancel)).toBe(
      [
        `id: ${created.id}`,
        `server: ${s.url}`,
        'name: Cancel my contract',
        `agent: ${agent}`,
        'personality: Angry Customer',
        'tags: [ churn ]',
        'instructions: |',
        '  Cancel today.',
        '  Refuse any offer twice.',
        '',
      ].join('\n'),
    );

    const again = await cli(['scenarios', 'import', '--project', 'Default', '--json', dir]);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout);
    expect([report.created, report.updated, report.unchanged.length]).toEqual([[], [], 3]);
    // Exporting what was imported writes into the same files; only the hand-written one is rewritten (agent id → name).
    const exported = await cli(['scenarios', 'export', '--project', 'Default', '--out', dir]);
    expect(exported.stdout).toContain('1 file(s) written, 2 already up to date.');
    expect(fs.readdirSync(file('Billing/Cancellations'))).toEqual(['cancel-my-contract.yaml']);
    expect(read(cancel)).toContain('name: Cancel my contract\nagent: Billing line\npersonality: Angry Customer\n');
  });

  it('takes a file at the root that names its folder (as files exported before folders were directories did), and the next export moves it there', async () => {
    fs.writeFileSync(file('old-style.yaml'), 'name: Old style\npersonality: Normal Male\nfolder_path: Billing\n');
    const r = await cli(['scenarios', 'import', '--project', 'Default', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 created,');
    expect((await client.scenarios.all({ project_id: project })).find((x) => x.name === 'Old style')).toMatchObject({ folder_path: 'Billing' });
    const exported = await cli(['scenarios', 'export', '--project', 'Default', '--out', dir]);
    expect(exported.stdout).toContain(`moved ${file('old-style.yaml')} → ${file('Billing/old-style.yaml')} (its folder changed)`);
    expect(read('Billing/old-style.yaml')).not.toContain('folder_path');
    // A file inside a folder's directory that names another folder is a mistake, said as such.
    fs.writeFileSync(file('Billing/old-style.yaml'), `${read('Billing/old-style.yaml')}folder_path: Elsewhere\n`);
    const wrong = await cli(['scenarios', 'import', '--project', 'Default', dir]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('folder_path: says "Elsewhere" but the file is in');
    fs.writeFileSync(file('Billing/old-style.yaml'), read('Billing/old-style.yaml').replace('folder_path: Elsewhere\n', ''));
  });

  it('checks every file first: one bad file stops the import and nothing is written (exit 2)', async () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-bad-'));
    fs.writeFileSync(path.join(bad, 'a.yaml'), 'name: Brand new\npersonality: Normal Male\n');
    fs.writeFileSync(path.join(bad, 'b.yaml'), 'nmae: Typo\npersonality: Nobody\nmax_duration: 5\n');
    fs.writeFileSync(path.join(bad, 'c.json'), '{"name": ');
    const before = (await client.scenarios.list({ project_id: project })).count;
    const r = await cli(['scenarios', 'import', '--project', String(project), bad]);
    fs.rmSync(bad, { recursive: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Nothing was imported:');
    expect(r.stderr).toContain('b.yaml: unknown field "nmae"');
    expect(r.stderr).toContain('b.yaml: name: required');
    expect(r.stderr).toContain('b.yaml: personality: No personality "Nobody".');
    expect(r.stderr).toContain('b.yaml: max_duration: Too small');
    expect(r.stderr).toMatch(/c\.json: .*JSON/);
    expect((await client.scenarios.list({ project_id: project })).count).toBe(before);
  });

  it('an unknown project is exit 4 and a missing path exit 2', async () => {
    const [project404, missing] = await Promise.all([
      cli(['scenarios', 'export', '--project', '999', '--out', dir]),
      cli(['scenarios', 'import', '--project', String(project), path.join(dir, 'nope')]),
    ]);
    expect(project404.code).toBe(4);
    expect(project404.stderr).toBe('No project with id 999.\n');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No such file or directory');
  });
});
