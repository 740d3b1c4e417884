import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenaristClient } from '../src/client/index.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** `scenarist changesets list|show|revert` after a one-shot improve-and-apply and an import, as a person at a terminal sees them. */

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

  it('an import is one changeset: reverting it deletes what it created, restores what it deleted and what it updated', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-import-cs-'));
    try {
      const N = 5;
      for (let i = 0; i < N; i++) fs.writeFileSync(path.join(dir, `imported-${i}.yaml`), `name: Imported ${i}\npersonality: Normal Male\ntags: [files]\n`);
      const before = (await client.scenarios.all({ project_id: s.defaultProjectId })).map((x) => x.id);
      const r = await cli(['scenarios', 'import', '--project', 'Default', '--json', dir]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.created).toHaveLength(N);
      const createdIds: number[] = report.created.map((c: { id: number }) => c.id);
      expect(report.changeset_id).toEqual(expect.any(Number));

      const listed = await cli(['changesets', 'list', '--project', 'Default', '--json']);
      const mine = JSON.parse(listed.stdout).find((c: { id: number }) => c.id === report.changeset_id);
      expect(mine).toMatchObject({ kind: 'import', scenario_count: N, status: 'applied' });
      expect((await cli(['changesets', 'show', String(report.changeset_id)])).stdout).toContain('Imported 0');

      // A second import that updates one file's scenario and prunes one the files no longer describe.
      fs.writeFileSync(
        path.join(dir, 'imported-0.yaml'),
        fs.readFileSync(path.join(dir, 'imported-0.yaml'), 'utf8').replace(/^tags:.*$/m, 'tags: [files, edited]'),
      );
      fs.rmSync(path.join(dir, 'imported-1.yaml'));
      const second = await cli(['scenarios', 'import', '--project', 'Default', '--prune', '--json', dir]);
      expect(second.code, second.stderr).toBe(0);
      const secondReport = JSON.parse(second.stdout);
      expect(secondReport.updated.map((x: { id: number }) => x.id)).toEqual([createdIds[0]]);
      // Pruning also deletes the project's scenarios made before (they have no file here).
      expect(secondReport.removed.map((x: { id: number }) => x.id).sort()).toEqual([...before, createdIds[1]].sort());
      const afterPrune = await client.scenarios.all({ project_id: s.defaultProjectId });
      expect(afterPrune.map((x) => x.id).sort()).toEqual(createdIds.filter((id) => id !== createdIds[1]).sort());

      const undo = await cli(['changesets', 'revert', String(secondReport.changeset_id), '--json']);
      expect(undo.code, undo.stderr).toBe(0);
      expect(JSON.parse(undo.stdout)).toMatchObject({ reverted_scenario_ids: [createdIds[0]], conflicts: [] });
      expect((await client.scenarios.get(createdIds[0]!)).tags).toEqual(['files']);
      expect((await client.scenarios.all({ project_id: s.defaultProjectId })).map((x) => x.id).sort()).toEqual([...before, ...createdIds].sort());

      // The first import reverted in one call: the scenarios it created are gone, the others stay;
      // the two the second import touched (and its revert put back) changed since, so they wait for force.
      const first = await cli(['changesets', 'revert', String(report.changeset_id), '--json']);
      expect(first.code).toBe(3);
      const firstOut = JSON.parse(first.stdout);
      expect(firstOut.deleted_scenario_ids.sort()).toEqual(createdIds.slice(2).sort());
      expect(firstOut.conflicts.map((c: { scenario_id: number }) => c.scenario_id).sort()).toEqual(createdIds.slice(0, 2).sort());
      const forced = await cli(['changesets', 'revert', String(report.changeset_id), '--force', '--json']);
      expect(forced.code, forced.stderr).toBe(0);
      expect((await client.scenarios.all({ project_id: s.defaultProjectId })).map((x) => x.id).sort()).toEqual([...before].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
