import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** `scenarist changesets list|show|revert` after a one-shot improve-and-apply, as a person at a terminal sees them. */

let s: TestServer;
let cli: CliRunner;
let client: ScenaristClient;
let ids: number[];

beforeAll(async () => {
  s = await startTestServer();
  cli = await cliRunner(s);
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  const agent = (await client.aiagents.create({ project: s.defaultProjectId, agent_name: 'Billing line', description: 'Answers billing questions.' })).id;
  const [male] = await client.personalities.list();
  ids = [];
  for (const name of ['Refund for a double charge', 'Upgrade to the unlimited plan', 'Cancel a contract']) {
    ids.push((await client.scenarios.create({ name, agent, personality: male!.id, instructions: 'Ask politely.' })).id);
  }
});
afterAll(async () => {
  cli?.dispose();
  await s?.stop();
});

describe('changesets', () => {
  it('an improve --apply is listed, shown as a diff, and reverted in one step with an edited scenario named', async () => {
    const applied = await cli(['improve', '--project', 'Default', '--apply', '--yes', '--json', 'Add the tag vip']);
    expect(applied.code, applied.stderr).toBe(0);
    const { apply } = JSON.parse(applied.stdout);
    const changesetId = apply.result.changeset_id;
    expect(changesetId).toEqual(expect.any(Number));

    const list = await cli(['changesets', 'list', '--project', 'Default']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^ID\\s+KIND\\s+STATUS\\s+SCENARIOS\\s+WHEN\\s+FIELDS\\s+SUMMARY\\n${changesetId}\\s+apply\\s+applied\\s+3\\s+\\S+ \\S+\\s+tags\\s+Applied from session`,
        'm',
      ),
    );

    const show = await cli(['changesets', 'show', String(changesetId)]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`Changeset ${changesetId} (apply)`);
    expect(show.stdout).toContain(`#${ids[0]} Refund for a double charge\n  tags: +vip\n`);
    expect(show.stdout).toContain(`job ${apply.progress_id}`);

    await client.scenarios.update(ids[1]!, { name: 'Upgrade, edited by hand' });
    const revert = await cli(['changesets', 'revert', String(changesetId)]);
    expect(revert.code).toBe(3);
    expect(revert.stdout).toContain(`Reverted changeset ${changesetId}: 2 scenario(s) restored`);
    expect(revert.stdout).toContain(`! #${ids[1]}: Scenario ${ids[1]} changed since`);
    expect((await client.scenarios.get(ids[0]!)).tags).toEqual([]);
    expect((await client.scenarios.get(ids[1]!)).tags).toEqual(['vip']);

    const forced = await cli(['changesets', 'revert', String(changesetId), '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ reverted_scenario_ids: [ids[1]], conflicts: [] });
    expect(await client.scenarios.get(ids[1]!)).toMatchObject({ name: 'Upgrade, edited by hand', tags: [] });

    const again = await cli(['changesets', 'revert', String(changesetId)]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/already reverted/);
    expect((await cli(['changesets', 'show', '99999'])).code).toBe(4);
    expect((await cli(['changesets', 'show', 'abc'])).code).toBe(2);
  });
});
