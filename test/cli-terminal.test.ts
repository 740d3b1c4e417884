import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scenario, ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { pacedEngine } from './helpers/engines.js';
import { toolAvailable } from './helpers/required-tool.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { hasTmux, type TmuxServer, tmuxServer } from './helpers/tmux.js';

const tmuxInstalled = toolAvailable('tmux', hasTmux(), 'apt-get install -y tmux');

/** The live progress bar as the terminal shows it: label, 24 cells, count. */
const BAR = /(Improving|Applying|Drafting) [█░]{24} \d+\/[\d?]+ {2}\d+\.\ds/;

/**
 * The CLI at a real terminal (a tmux pane), against a real server whose jobs take a moment per
 * scenario, so the progress bar, colours and prompts are what a person would see.
 */
describe.skipIf(!tmuxInstalled)('the CLI at a terminal', () => {
  let s: TestServer;
  let cli: CliRunner;
  let client: ScenaristClient;
  let tmux: TmuxServer;
  let personality: number;

  /** A project with an agent and `n` scenarios for it. */
  async function projectWith(name: string, n: number): Promise<{ id: number; scenarios: Scenario[] }> {
    const project = await client.projects.create({ name });
    const agent = await client.aiagents.create({
      project: project.id,
      agent_name: `${name} agent`,
      description: 'Answers billing questions for Acme Telecom.',
    });
    const scenarios: Scenario[] = [];
    for (let i = 1; i <= n; i++) {
      scenarios.push(
        await client.scenarios.create({
          name: `${name} caller ${i}`,
          agent: agent.id,
          personality,
          instructions: `Ask about bill number ${i}.`,
          project: project.id,
        }),
      );
    }
    return { id: project.id, scenarios };
  }

  beforeAll(async () => {
    s = await startTestServer({}, { engine: pacedEngine(150) });
    client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
    cli = await cliRunner(s);
    tmux = tmuxServer(cli.env());
    personality = (await client.personalities.list())[0]!.id;
  });

  afterAll(async () => {
    await tmux?.kill();
    cli?.dispose();
    await s?.stop();
  });

  it('improve --apply: the bar while the job runs, then the diff and the question; y applies, exit 0', async () => {
    const p = await projectWith('Apply yes', 4);
    const term = await tmux.open();
    await term.run(cli.argv(['improve', '--project', String(p.id), '--scenarios', 'all', 'Add the DTMF tool and limit calls to 5 minutes', '--apply']));

    const running = await term.waitFor(BAR);
    expect(running).toMatch(/^Improving [█░]{24} [0-3]\/4 {2}\d+\.\ds$/m);

    const asked = await term.waitFor(/Apply 4 changes\? \[y\/N\]$/);
    // The bar is gone before the diff is drawn: no line keeps a trace of it.
    expect(asked).not.toMatch(/Improving|[█░]/);
    for (const sc of p.scenarios)
      expect(asked).toContain(`#${sc.id} ${sc.name} (revision 1)\n  tool_ids: +TOOL_DTMF\n    why: added TOOL_DTMF\n  max_duration: (none) → 300\n`);
    expect(asked).toMatch(/^4 scenarios would change \(session \d+\)\.$/m);
    // At a terminal the added values are green (capture-pane -e keeps the colours).
    expect(await term.screen({ colours: true })).toMatch(/\x1b\[32m\+TOOL_DTMF/);

    await term.type('y');
    await term.press('Enter');
    const { code, screen } = await term.exited();
    expect(screen).toContain('Apply 4 changes? [y/N] y\nApplied 4 change(s): 4 scenario(s) updated, 0 created.\nEXIT=0');
    expect(code).toBe(0);
    for (const sc of p.scenarios) expect(await client.scenarios.get(sc.id)).toMatchObject({ tool_ids: ['TOOL_DTMF'], max_duration: 300, revision: 2 });
  });

  it('improve --apply: n (after a corrected typo) applies nothing and says so', async () => {
    const p = await projectWith('Apply no', 2);
    const term = await tmux.open();
    await term.run(cli.argv(['improve', '--project', String(p.id), '--scenarios', 'all', 'Add the DTMF tool and limit calls to 5 minutes', '--apply']));
    await term.waitFor(/Apply 2 changes\? \[y\/N\]$/);

    await term.type('x');
    await term.press('BSpace');
    await term.type('n');
    await term.press('Enter');
    const { code, screen } = await term.exited();
    expect(screen).toMatch(/Apply 2 changes\? \[y\/N\] n\nNot applied\. Apply later with: scenarist apply [0-9a-f-]{36}\nEXIT=0/);
    expect(code).toBe(0);
    for (const sc of p.scenarios) expect(await client.scenarios.get(sc.id)).toEqual(sc);
  });

  it('show pages a long review with the summary on the first screen; apply --only --fields shows its part, then asks', async () => {
    const p = await projectWith('Review at size', 30);
    const job = await client.scenarioAgent.improve({ scenarios: p.scenarios.map((x) => x.id), user_message: 'Add the DTMF tool and limit calls to 5 minutes' });
    await client.waitFor(job.progress_id);
    const term = await tmux.open();
    await term.run(cli.argv(['show', job.progress_id]));
    // In the pager: the first screen starts with the job and its summary, and waits for a key.
    const first = await term.waitFor(/^:$/m);
    expect(first).toContain(`Job ${job.progress_id}\nimprove · completed · to review (30)`);
    expect(first).toContain('Changes by field (30 scenarios):\n  max_duration × 30\n  tool_ids +TOOL_DTMF × 30\n');
    expect(first).not.toMatch(/^EXIT=/m);
    await term.press('q');
    expect((await term.exited()).code).toBe(0);

    const [a, b] = [p.scenarios[2]!, p.scenarios[4]!];
    const next = await tmux.open();
    await next.run(cli.argv(['apply', job.progress_id, '--only', `${a.id},${b.id}`, '--fields', 'tool_ids']));
    const asked = await next.waitFor(/Apply 2 changes to 2 scenarios\? \[y\/N\]$/);
    expect(asked).toContain(
      `Changes by field (2 scenarios):\n  tool_ids +TOOL_DTMF × 2\n\n#${a.id} ${a.name} (revision 1)\n  tool_ids: +TOOL_DTMF\n    why: added TOOL_DTMF\n`,
    );
    await next.type('y');
    await next.press('Enter');
    const { code, screen } = await next.exited();
    expect(screen).toContain('Applied 2 change(s): 2 scenario(s) updated, 0 created.\nEXIT=0');
    expect(code).toBe(0);
    const now = await Promise.all(p.scenarios.map((x) => client.scenarios.get(x.id)));
    expect(now.filter((x) => x.tool_ids.length).map((x) => x.id)).toEqual([a.id, b.id]);
    expect(now.every((x) => x.max_duration === null)).toBe(true);
  });

  it('Ctrl-C at the question ends the command as an interrupt (130) and applies nothing', async () => {
    const p = await projectWith('Apply interrupted', 1);
    const term = await tmux.open();
    await term.run(cli.argv(['improve', '--project', String(p.id), 'Add the DTMF tool', '--apply']));
    await term.waitFor(/Apply 1 change\? \[y\/N\]$/);

    await term.press('C-c');
    const { code, screen } = await term.exited();
    expect(screen).toMatch(/Apply 1 change\? \[y\/N\] \^C\nInterrupted\.\nEXIT=130$/m);
    expect(code).toBe(130);
    expect(await client.scenarios.get(p.scenarios[0]!.id)).toEqual(p.scenarios[0]);
  });

  it('generate: a vague request gets the questions at the prompt, then the drafts; y creates them', async () => {
    const project = await client.projects.create({ name: 'Generate' });
    const blank = await client.aiagents.create({ project: project.id, agent_name: 'Blank' });
    const term = await tmux.open();
    await term.run(cli.argv(['generate', '--agent', String(blank.id), '-n', '2', 'make some scenarios']));

    const asked = await term.waitFor(/^>$/m);
    expect(asked).toContain('I need a little more to draft useful scenarios.\n1. What does the agent under test do (its purpose, and who calls it)?\n>');
    await term.type('Billing disputes');
    await term.press('Enter');
    await term.waitFor(/^2\. Which situations .*\n>$/m);
    await term.type('cancellations');
    await term.press('Enter');
    await term.waitFor(/^3\. Which language .*\n>$/m);
    await term.type('Spanish');
    await term.press('Enter');

    const drafts = await term.waitFor(/Create 2 scenarios for Blank in project \d+\? \[y\/N\]$/);
    expect(drafts).toContain('> Billing disputes\n2. ');
    expect(drafts).toMatch(/^1\. Billing disputes: a Spanish-speaking caller\n {3}personality: /m);
    expect(drafts).toMatch(/^2\. Cancellations: a Spanish-speaking caller\n/m);
    expect(drafts).not.toMatch(/Drafting|[█░]/);

    await term.type('y');
    await term.press('Enter');
    const { code, screen } = await term.exited();
    expect(screen).toMatch(
      /\? \[y\/N\] y\nApplied 2 change\(s\): 0 scenario\(s\) updated, 2 created\.\n {2}#\d+ Billing disputes: a Spanish-speaking caller\n {2}#\d+ Cancellations: a Spanish-speaking caller\nEXIT=0$/m,
    );
    expect(code).toBe(0);
    const created = await client.scenarios.all({ agent_id: blank.id });
    expect(created.map((x) => [x.name, x.scenario_language, x.project])).toEqual([
      ['Billing disputes: a Spanish-speaking caller', 'es', project.id],
      ['Cancellations: a Spanish-speaking caller', 'es', project.id],
    ]);
  });

  it('Ctrl-C while the answers are drafted, after the questions, cancels that job and exits 130', async () => {
    const project = await client.projects.create({ name: 'Generate interrupted' });
    const blank = await client.aiagents.create({ project: project.id, agent_name: 'Blank too' });
    const term = await tmux.open();
    await term.run(cli.argv(['generate', '--agent', String(blank.id), '-n', '1', 'make some scenarios']));
    await term.waitFor(/^1\. .*\n>$/m);
    await term.type('Billing disputes, slowly');
    await term.press('Enter');
    for (const n of [2, 3]) {
      await term.waitFor(new RegExp(`^${n}\\. .*\\n>$`, 'm'));
      await term.press('Enter');
    }
    await term.waitFor(/^Drafting ░{24} 0\/\d+ {2}\d+\.\ds$/m);

    await term.press('C-c');
    const { code, screen } = await term.exited();
    const id = /^Cancelled job ([0-9a-f-]{36})\.$/m.exec(screen);
    expect(id, screen).not.toBeNull();
    expect(code).toBe(130);
    expect((await client.scenarioAgent.progress(id![1]!)).status).toBe('cancelled');
    expect(await client.scenarios.all({ agent_id: blank.id })).toEqual([]);
  });

  it('Ctrl-C while improve waits cancels the job on the server and exits 130', async () => {
    const p = await projectWith('Interrupted', 1);
    const term = await tmux.open();
    await term.run(cli.argv(['improve', '--project', String(p.id), 'Add the DTMF tool, slowly']));
    await term.waitFor(/^Improving ░{24} 0\/1 {2}\d+\.\ds$/m);

    await term.press('C-c');
    const { code, screen } = await term.exited();
    const id = /^Cancelled job ([0-9a-f-]{36})\.$/m.exec(screen);
    expect(id, screen).not.toBeNull();
    expect(screen).not.toMatch(/[█░]/);
    expect(code).toBe(130);
    expect((await client.scenarioAgent.progress(id![1]!)).status).toBe('cancelled');
    expect(await client.scenarios.get(p.scenarios[0]!.id)).toEqual(p.scenarios[0]);
  });
});
