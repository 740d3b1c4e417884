import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scenario, ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let cli: CliRunner;
let client: ScenaristClient;
const scenarios: Scenario[] = [];

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  const agent = (await client.aiagents.create({ project: s.defaultProjectId, agent_name: 'Billing line', description: 'Answers billing questions.' })).id;
  const personality = (await client.personalities.list())[0]!.id;
  for (const name of ['Refund', 'Upgrade', 'Cancel', 'Outage'])
    scenarios.push(await client.scenarios.create({ name, agent, personality, instructions: `About ${name}.` }));
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
});

const improve = async (message: string) => {
  const started = await client.scenarioAgent.improve({ scenarios: scenarios.map((x) => x.id), user_message: message });
  await client.waitFor(started.progress_id);
  return started.progress_id;
};

describe('a past job reviewed again and applied in part', () => {
  it('improve --summary prints the changes by field, not each scenario, and how to see them', async () => {
    const r = await cli(['improve', '--project', 'Default', '--summary', 'Add the DTMF tool and add tag reviewed']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Changes by field (4 scenarios):\n  tags +reviewed × 4\n  tool_ids +TOOL_DTMF × 4\n');
    expect(r.stdout).not.toContain(`#${scenarios[0]!.id} Refund`);
    expect(r.stdout).toMatch(/`scenarist apply ([0-9a-f-]{36})` applies these, `scenarist show \1` shows each\./);
  });

  it('show: the summary first, then each scenario; --json the job as the API answers it', async () => {
    const id = await improve('Add the DTMF tool and limit calls to 5 minutes');
    const r = await cli(['show', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Job ${id}\\nimprove · completed · to review \\(4\\) · session \\d+\\n`));
    expect(r.stdout.indexOf('Changes by field (4 scenarios):\n  max_duration × 4\n  tool_ids +TOOL_DTMF × 4')).toBeGreaterThan(0);
    expect(r.stdout.indexOf('Changes by field')).toBeLessThan(r.stdout.indexOf(`#${scenarios[0]!.id} Refund (revision 1)`));
    expect(r.stdout).toContain(`Apply with: scenarist apply ${id}`);
    const json = await cli(['show', id, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ progress_id: id, review_state: 'to_review', review_count: 4, result: { kind: 'improve' } });
  });

  it('apply --only --fields writes exactly that part; applying it again says so, writes nothing, exit 0', async () => {
    const id = await improve('Add the DTMF tool and limit calls to 5 minutes');
    const [a, b] = [scenarios[1]!, scenarios[2]!];
    const r = await cli(['apply', id, '--only', `${a.id},${b.id}`, '--fields', 'tool_ids'], { input: 'y\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Changes by field (2 scenarios):\n  tool_ids +TOOL_DTMF × 2\n');
    expect(r.stdout).not.toContain('max_duration');
    expect(r.stderr).toContain('Apply 2 changes to 2 scenarios? [y/N] y');
    const now = await Promise.all(scenarios.map((x) => client.scenarios.get(x.id)));
    expect(now.map((x) => [x.tool_ids, x.max_duration])).toEqual([
      [[], null],
      [['TOOL_DTMF'], null],
      [['TOOL_DTMF'], null],
      [[], null],
    ]);
    expect((await client.scenarioAgent.progress(id)).review_state).toBe('partly_applied');

    const again = await cli(['apply', id, '--only', `${a.id},${b.id}`, '--fields', 'tool_ids', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^These suggestions were already applied \(by job [0-9a-f-]{36}\); nothing was written\.\n$/);
    expect((await client.scenarios.get(a.id)).revision).toBe(now[1]!.revision);

    // The other field of the same scenarios later: no conflict with the part applied before.
    const later = await cli(['apply', id, '--only', `${a.id},${b.id}`, '--fields', 'max_duration', '--yes']);
    expect(later.code, later.stderr).toBe(0);
    expect(await client.scenarios.get(a.id)).toMatchObject({ tool_ids: ['TOOL_DTMF'], max_duration: 300, revision: now[1]!.revision + 1 });
  });

  it('--fields names only fields a suggestion may change; --only only what the job suggested', async () => {
    const id = await improve('Add the DTMF tool');
    const bad = await cli(['apply', id, '--fields', 'tool_ids,colour']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown colour');
    const none = await cli(['apply', id, '--only', '999999', '--yes']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('This job suggests nothing for 999999');
  });
});
