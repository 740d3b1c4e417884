import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { ScriptedEngine } from './helpers/engines.js';
import { type IdleServer, startIdleServer } from './helpers/idle-server.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let cli: CliRunner;
let client: ScenaristClient;
let project: number;
let agent: number;
let refund: number;
let upgrade: number;

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  project = s.defaultProjectId;
  agent = (await client.aiagents.create({ project, agent_name: 'Billing line', description: 'Answers billing questions for Acme Telecom.' })).id;
  const [male, female] = await client.personalities.list();
  refund = (
    await client.scenarios.create({
      name: 'Refund for a double charge',
      agent,
      personality: male!.id,
      instructions: 'You were charged twice for October. Ask for a refund.',
    })
  ).id;
  upgrade = (
    await client.scenarios.create({ name: 'Upgrade to the unlimited plan', agent, personality: female!.id, instructions: 'Ask what the unlimited plan costs.' })
  ).id;
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
});

describe('improve', () => {
  it('shows each suggested change as a readable diff and writes nothing', async () => {
    const r = await cli(['improve', '--project', 'Default', 'Add the DTMF tool and limit calls to 5 minutes; make the instructions more detailed']);
    expect(r.code, r.stderr).toBe(0);
    // The summary by field first, then each scenario, each change with why it was suggested.
    expect(r.stdout).toContain('Changes by field (2 scenarios):\n  instructions × 2\n  max_duration × 2\n  tool_ids +TOOL_DTMF × 2\n');
    expect(r.stdout.indexOf('Changes by field')).toBeLessThan(r.stdout.indexOf(`#${refund} `));
    expect(r.stdout).toContain(
      `#${refund} Refund for a double charge (revision 1)\n  tool_ids: +TOOL_DTMF\n    why: added TOOL_DTMF\n  max_duration: (none) → 300\n`,
    );
    // Long text: a word diff with git's plain markers, the unchanged words as they were.
    expect(r.stdout).toMatch(/ {2}instructions:\n {4}\{\+## Persona\n[\s\S]*\+\}You were charged twice for October\. Ask for a refund\./);
    expect(r.stdout).toContain(`#${upgrade} Upgrade to the unlimited plan (revision 1)\n  tool_ids: +TOOL_DTMF\n`);
    expect(r.stdout).toMatch(/2 scenarios would change \(session \d+\)\. Nothing has been written: `scenarist apply [0-9a-f-]{36}` applies these\./);
    // Not a terminal: no colour codes.
    expect(r.stdout).not.toContain('\x1b[');
    expect((await client.scenarios.get(refund)).tool_ids).toEqual([]);
  });

  it('shows long text as a word diff, in colour when colour is forced', async () => {
    const coloured = await cli(['improve', '--scenarios', String(refund), 'Make the instructions more detailed'], { env: { FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\x1b[32m## Persona');
    expect(coloured.stdout).not.toContain('{+');
    expect(coloured.stdout).toContain('You were charged twice for October. Ask for a refund.');
  });

  it('applies after a yes on stdin, and a no leaves everything as it was', async () => {
    const no = await cli(['improve', '--scenarios', String(upgrade), '--apply', 'Set the language to Spanish'], { input: 'n\n' });
    expect(no.code, no.stderr).toBe(0);
    expect(no.stderr).toMatch(/Apply 1 change\? \[y\/N\] n\nNot applied\. Apply later with: scenarist apply [0-9a-f-]{36}\n/);
    expect((await client.scenarios.get(upgrade)).scenario_language).toBe('en');

    const yes = await cli(['improve', '--scenarios', String(upgrade), '--apply', 'Set the language to Spanish'], { input: 'y\n' });
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain('  scenario_language: "en" → "es"');
    expect(yes.stdout).toContain('Applied 1 change(s): 1 scenario(s) updated, 0 created.');
    expect(await client.scenarios.get(upgrade)).toMatchObject({ scenario_language: 'es', revision: 2 });
  });

  it('--json gives scripts the job and the apply, and --yes skips the question', async () => {
    const r = await cli(['improve', '--scenarios', String(upgrade), '--apply', '--yes', '--json', 'Add the tag vip']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.improve).toMatchObject({ status: 'completed', result: { updated_scenarios: [{ id: upgrade, tags: ['vip'] }] } });
    expect(out.apply).toMatchObject({ status: 'completed', result: { success: true, applied_scenario_ids: [upgrade] } });
    expect(r.stderr).not.toContain('[y/N]');
    expect((await client.scenarios.get(upgrade)).tags).toEqual(['vip']);
  });

  it('apply takes a finished job as it was shown; a scenario edited since is a conflict, shown, exit 3', async () => {
    const first = await client.scenarioAgent.improve({ scenarios: [refund], user_message: 'Add the DTMF tool' });
    const second = await client.scenarioAgent.improve({ scenarios: [refund, upgrade], user_message: 'Add the end call tool' });
    await Promise.all([client.waitFor(first.progress_id), client.waitFor(second.progress_id)]);

    const ok = await cli(['apply', first.progress_id], { input: 'yes\n' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('Apply 1 change to 1 scenario? [y/N] yes');
    // What it will apply is shown before the question.
    expect(ok.stdout).toBe(
      `Changes by field (1 scenario):\n  tool_ids +TOOL_DTMF × 1\n\n#${refund} Refund for a double charge (revision 1)\n  tool_ids: +TOOL_DTMF\n    why: added TOOL_DTMF\nApplied 1 change(s): 1 scenario(s) updated, 0 created.\n`,
    );
    expect(await client.scenarios.get(refund)).toMatchObject({ tool_ids: ['TOOL_DTMF'], revision: 2 });

    // The second job's suggestions were based on revision 1 of refund, which the first apply changed.
    const before = await client.scenarios.get(upgrade);
    const conflict = await cli(['apply', second.progress_id, '--yes']);
    expect(conflict.code).toBe(3);
    expect(conflict.stdout).toContain('Nothing was applied: 1 scenario(s) changed since the suggestion was made');
    expect(conflict.stdout).toContain(`conflict: scenario #${refund} changed since the suggestion (suggested for revision 1, now 2)`);
    expect(await client.scenarios.get(upgrade)).toEqual(before);
  });

  it('scenarios without an agent: it says which agents there are, and --agent settles it', async () => {
    const orphan = (await client.scenarios.create({ name: 'No agent yet', project, personality: (await client.scenarios.get(refund)).personality })).id;
    const [asked, settled] = await Promise.all([
      cli(['improve', '--scenarios', String(orphan), 'Add the DTMF tool']),
      cli(['improve', '--scenarios', String(orphan), '--agent', 'Billing line', 'Add the DTMF tool']),
    ]);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(`Run again with --agent <id|name> (agents: ${agent} Billing line).`);
    expect(settled.code, settled.stderr).toBe(0);
    expect(settled.stdout).toContain(`#${orphan} No agent yet (revision 1)\n  tool_ids: +TOOL_DTMF`);
    await client.scenarios.delete(orphan);
  });

  it('exit codes: 2 for usage, 4 for a wrong key or an unknown project, 2 for ids the server refuses', async () => {
    const [badIds, noKey, badKey, noProject, unknownIds, mixed, help] = await Promise.all([
      cli(['improve', '--scenarios', '1,x', 'x']),
      cli(['improve', '--project', '1', 'x'], { env: { SCENARIST_API_KEY: undefined } }),
      cli(['improve', '--project', '1', '--key', 'sk_scn_wrong', 'x']),
      cli(['improve', '--project', 'Nope', 'x']),
      cli(['improve', '--scenarios', '999999', 'x']),
      cli(['improve', '--scenarios', '1', '--tag', 'billing', 'x']),
      cli(['improve', '--help']),
    ]);
    expect([badIds.code, noKey.code, badKey.code, noProject.code, unknownIds.code, mixed.code]).toEqual([2, 2, 4, 4, 2, 2]);
    expect(badIds.stderr).toContain('use "all" or scenario ids separated by commas');
    expect(noKey.stderr).toContain('No API key: pass --key-file <file> (or - for standard input), set SCENARIST_API_KEY');
    expect(badKey.stderr).toContain('The server refused the API key (401)');
    expect(noProject.stderr).toContain(`No project "Nope". Known: ${project} Default.`);
    expect(unknownIds.stderr).toContain('The server refused the request (400):\n  scenarios: Invalid pk "999999" - object does not exist.');
    expect(mixed.stderr).toContain('--scenarios names scenarios by id; --tag, --folder and --name pick them instead.');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: scenarist improve [options] <request>');
    expect(help.stdout).toContain('Exit codes: 0 done');
  });
});

describe('generate', () => {
  it('uploads knowledge-base files, shows drafts and creates them after a yes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-kb-'));
    const faq = path.join(dir, 'faq.md');
    fs.writeFileSync(faq, '# Roaming\nRoaming in the EU is free.\n\n# Late fees\nA late fee of 5 EUR applies after 14 days.\n');
    const before = (await client.scenarios.list({ project_id: project })).count;
    const r = await cli(['generate', '--agent', 'Billing line', '-n', '2', '--kb', faq, 'roaming and late fees'], { input: 'y\n' });
    fs.rmSync(dir, { recursive: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Uploaded faq\.md \(knowledge-base file #\d+, \d+ characters of text\)\.\n/);
    expect(r.stdout).toContain('1. Roaming: a first-time caller\n   personality: ');
    expect(r.stdout).toContain('2. Late fees: a first-time caller\n');
    expect(r.stderr).toContain(`Create 2 scenarios for Billing line in project ${project}? [y/N] y`);
    expect(r.stdout).toMatch(
      /Applied 2 change\(s\): 0 scenario\(s\) updated, 2 created\.\n {2}#\d+ Roaming: a first-time caller\n {2}#\d+ Late fees: a first-time caller\n$/,
    );
    expect((await client.scenarios.list({ project_id: project })).count).toBe(before + 2);
    expect((await client.scenarios.list({ project_id: project, search: 'late fees' })).results[0]).toMatchObject({ agent, tags: ['generated'] });
  });

  it("asks the agent's questions and takes the answers from stdin, one per line", async () => {
    const blank = (await client.aiagents.create({ project, agent_name: 'Blank' })).id;
    const r = await cli(['generate', '--agent', String(blank), '-n', '3', '--no-apply', 'make some scenarios'], {
      input: 'Billing disputes\ncancellations and refunds\nSpanish\n',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('I need a little more to draft useful scenarios.\n1. What does the agent under test do');
    expect(r.stderr).toContain('> Billing disputes\n2. ');
    expect(r.stdout).toContain('1. Billing disputes: a Spanish-speaking caller\n');
    expect(r.stdout).toContain('language: es');
    const later = /Nothing created \(session \d+\): `scenarist apply ([0-9a-f-]{36})` creates these\./.exec(r.stderr);
    expect(later).not.toBeNull();
    expect((await client.scenarios.list({ agent_id: blank })).count).toBe(0);

    const applied = await cli(['apply', later![1]!, '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toBe('Applied 3 change(s): 0 scenario(s) updated, 3 created.\n');
    const created = await client.scenarios.all({ agent_id: blank });
    expect(created.map((x) => [x.name, x.scenario_language, x.project])).toEqual([
      ['Billing disputes: a Spanish-speaking caller', 'es', project],
      ['Cancellations: a Spanish-speaking caller', 'es', project],
      ['Refunds: a Spanish-speaking caller', 'es', project],
    ]);
  });

  it('without answers it stops and says how to give them', async () => {
    const blank = (await client.aiagents.create({ project, agent_name: 'Blank too' })).id;
    const r = await cli(['generate', '--agent', String(blank), 'make some scenarios']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pipe the answers to stdin');
  });
});

describe('sessions and cancel', () => {
  it("lists a project's sessions and shows one conversation", async () => {
    const sessions = await client.sessions.list(project);
    const list = await cli(['sessions', 'list', '--project', String(project)]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+MESSAGES\s+UPDATED\s+TITLE$/);
    expect(lines).toHaveLength(sessions.length + 1);
    expect(list.stdout).toMatch(/completed\s+\d+\s+\S+ \S+\s+Add the DTMF tool and limit calls to 5 minutes/);

    const applied = sessions.find((x) => x.title === 'Set the language to Spanish' && x.message_count === '4')!;
    const [show, json, missing] = await Promise.all([
      cli(['sessions', 'show', String(applied.id)]),
      cli(['sessions', 'show', String(applied.id), '--json']),
      cli(['sessions', 'show', '999999']),
    ]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`Session ${applied.id}: Set the language to Spanish\nstatus completed`);
    const detail = await client.sessions.get(applied.id);
    expect(show.stdout).toContain(`\nlatest job: apply ${detail.latest_progress_id} (completed)\n`);
    expect(show.stdout).toMatch(/ you: {3}Set the language to Spanish\n/);
    expect(show.stdout).toContain('→ suggest_changes (applied)');
    expect(JSON.parse(json.stdout).conversation_history).toHaveLength(4);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe('The server answered 404: Not found.\n');
  });

  describe('with a job in progress', () => {
    let idle: IdleServer;
    let env: Record<string, string>;
    beforeAll(async () => {
      idle = await startIdleServer();
      env = { SCENARIST_URL: idle.server.url, SCENARIST_API_KEY: idle.server.key };
    });
    afterAll(async () => idle?.stop());

    it('cancels a running job (exit 0); a finished one is exit 3, an unknown one 4', async () => {
      const job = await idle.startJob();
      const finished = await client.scenarioAgent.improve({ scenarios: [refund], user_message: 'Add the DTMF tool' });
      await client.waitFor(finished.progress_id);
      const [running, done, unknown] = await Promise.all([
        cli(['cancel', job.progress_id], { env }),
        cli(['cancel', finished.progress_id]),
        cli(['cancel', 'no-such-job']),
      ]);
      expect(running.code, running.stderr).toBe(0);
      expect(running.stdout).toBe(`Cancelled job ${job.progress_id} (session ${job.session_id}).\n`);
      expect((await idle.client.scenarioAgent.progress(job.progress_id)).status).toBe('cancelled');
      expect(done.code).toBe(3);
      expect(done.stdout).toBe(`Job ${finished.progress_id} had already finished: completed.\n`);
      expect(unknown.code).toBe(4);
    });

    it('Ctrl-C while waiting cancels the job on the server', async () => {
      const child = cli.spawn(['improve', '--project', String(idle.server.defaultProjectId), 'Add the DTMF tool'], env);
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) =>
        child.stderr!.on('data', (d) => {
          stderr += d;
          if (stderr.includes('Improving 0/1')) resolve();
        }),
      );
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toMatch(/Cancelled job [0-9a-f-]{36}\./);
      const [latest] = await idle.client.sessions.list(idle.server.defaultProjectId);
      expect(latest!.status).toBe('cancelled');
    });
  });
});

describe('a failed job', () => {
  let failing: TestServer;
  let failingCli: CliRunner;
  beforeAll(async () => {
    failing = await startTestServer({}, { engine: new ScriptedEngine() });
    failingCli = await cliRunner(failing);
  });
  afterAll(async () => {
    failingCli?.dispose();
    await failing?.stop();
  });

  it('is reported with why it failed, and that the same command may work later when its cause passes', async () => {
    const api = new ScenaristClient({ baseUrl: failing.url, apiKey: failing.key });
    const billing = (await api.aiagents.create({ project: failing.defaultProjectId, agent_name: 'Billing line', description: 'Answers billing questions.' }))
      .id;
    const [personality] = await api.personalities.list();
    const scenario = (await api.scenarios.create({ name: 'Refund', agent: billing, personality: personality!.id, instructions: 'Ask for a refund.' })).id;
    const r = await failingCli(['improve', '--scenarios', String(scenario), 'Tag it during the outage']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The job failed (the model timed out, could not be reached, was rate limited or had a server error):');
    expect(r.stderr).toContain('Running the same command again may work later.');
    expect((await api.scenarios.get(scenario)).revision).toBe(1);
  });
});
