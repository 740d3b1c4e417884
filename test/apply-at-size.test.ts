import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedScenarios } from '../bench/lib/seed.js';
import { rowsPerPart } from '../src/store/set-writes.js';
import { startJob, waitForJob } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * An apply bigger than one part (it is checked and written a few hundred scenarios at a time on
 * SQLite, a few thousand on PostgreSQL) is still all or nothing: a problem found in its last part
 * leaves the parts written before it unwritten, and what it wrote is one changeset.
 */
describe.each(testDatabases)('an apply of several parts on $name', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let n: number;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env);
    // Two whole parts and one scenario more, so the last part holds one suggestion.
    n = 2 * rowsPerPart(s.running.store.db) + 1;
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  const seed = async () => (await seedScenarios(s.running.store.db, s.defaultProjectId, n)).ids;
  const apply = async (items: Array<Record<string, unknown>>) => {
    const { progress_id } = await startJob(s.api, { apply_changes: true, updated_scenarios: items });
    return { progress_id, ...(await waitForJob(s.api, progress_id, 60_000)) };
  };
  const until = async (ready: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const db = () => s.running.store.db;
  const revisions = (ids: number[]) => db().selectFrom('scenarios').select(['id', 'revision']).where('id', 'in', ids).orderBy('id').execute();
  const appliedRevisions = (ids: number[]) =>
    db().selectFrom('scenario_revisions').select('id').where('scenario_id', 'in', ids).where('change_type', '=', 'apply').execute();

  it('a scenario changed since its suggestion, in the last part, is a conflict and nothing is written', async () => {
    const ids = await seed();
    const last = ids.at(-1)!;
    expect((await s.api('PATCH', `scenarios/${last}/`, { name: 'Edited meanwhile' })).status).toBe(200);
    const res = await apply(ids.map((id) => ({ id, based_on_revision: 1, tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF'] })));
    expect(res.status).toBe('completed');
    expect(res.result).toMatchObject({
      success: false,
      applied_scenario_ids: [],
      conflicts: [{ scenario_id: last, based_on_revision: 1, current_revision: 2, reason: 'changed' }],
    });
    expect((await revisions(ids)).filter((r) => r.revision !== 1).map((r) => r.id)).toEqual([last]);
    expect(await appliedRevisions(ids)).toEqual([]);
    expect((await s.api('GET', `changesets/?progress_id=${res.progress_id}`)).body.count).toBe(0);
    expect((await s.api('GET', `scenarios/${ids[0]}/`)).body.tool_ids).toEqual(['TOOL_END_CALL']);
  });

  it('a change no longer valid, in the last part, is named and nothing is written', async () => {
    const ids = await seed();
    const items = ids.map((id) => ({ id, based_on_revision: 1, tags: ['checked'] }));
    items[items.length - 1] = { ...items.at(-1)!, folder_path: 'Nowhere' } as (typeof items)[number];
    const res = await apply(items);
    expect(res.result).toMatchObject({ success: false, applied_scenario_ids: [], conflicts: [] });
    expect(res.result.validation_issues.map((v: { scenario_id: number; field: string }) => [v.scenario_id, v.field])).toEqual([[ids.at(-1), 'folder_path']]);
    expect((await revisions(ids)).every((r) => r.revision === 1)).toBe(true);
    expect(await appliedRevisions(ids)).toEqual([]);
  });

  // On PostgreSQL a part's writes run while the parts after it are read, checked and written: a
  // scenario of the first part that another writer changes between the read and the write is still
  // a conflict, and the later parts' writes are rolled back with it.
  it.runIf(name === 'postgres')(
    'a scenario another writer changes while the apply writes the parts after it is a conflict, and nothing is written',
    async () => {
      const ids = await seed();
      const first = ids[0]!;
      const other = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await other.connect();
      try {
        // The other writer holds the scenario's row: the apply reads revision 1, and its guarded update waits.
        await other.query('begin');
        await other.query(`update scenarios set name = 'Edited meanwhile', revision = 2 where id = $1`, [first]);
        const { progress_id } = await startJob(s.api, {
          apply_changes: true,
          updated_scenarios: ids.map((id) => ({ id, based_on_revision: 1, tags: ['checked'] })),
        });
        await until(async () => {
          // Inside a transaction pg_stat_activity keeps its first snapshot unless told otherwise.
          await other.query('select pg_stat_clear_snapshot()');
          const waiting = await other.query(
            `select 1 from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid)) and query like 'update "scenarios"%'`,
          );
          return waiting.rowCount === 1;
        });
        await other.query('commit');
        const res = await waitForJob(s.api, progress_id, 60_000);
        expect(res.status).toBe('completed');
        expect(res.result).toMatchObject({
          success: false,
          applied_scenario_ids: [],
          conflicts: [{ scenario_id: first, based_on_revision: 1, reason: 'changed' }],
        });
        expect((await revisions(ids)).filter((r) => r.revision !== 1).map((r) => r.id)).toEqual([first]);
        expect(await appliedRevisions(ids)).toEqual([]);
        expect((await s.api('GET', `changesets/?progress_id=${progress_id}`)).body.count).toBe(0);
        expect((await s.api('GET', `scenarios/${ids.at(-1)}/`)).body.tags).toEqual(['billing', `group-${n % 10}`]);
      } finally {
        await other.end();
      }
    },
  );

  it('stores a name holding a lone surrogate as well-formed text, the surrogate replaced', async () => {
    const [id] = (await seedScenarios(s.running.store.db, s.defaultProjectId, 1)).ids;
    const res = await apply([{ id, based_on_revision: 1, name: 'Half \ud800 a pair' }]);
    expect(res.result.applied_scenario_ids).toEqual([id]);
    const stored: string = (await s.api('GET', `scenarios/${id}/`)).body.name;
    expect(stored).toMatch(/^Half \ufffd+ a pair$/);
  });

  it('writes every part as one changeset, which shows each scenario and reverts them all', async () => {
    const ids = await seed();
    const res = await apply(ids.map((id, i) => ({ id, based_on_revision: 1, tags: ['billing', `group-${(i + 1) % 10}`, 'reviewed'] })));
    expect(res.result.applied_scenario_ids).toEqual(ids);
    expect((await revisions(ids)).every((r) => r.revision === 2)).toBe(true);
    expect(await appliedRevisions(ids)).toHaveLength(n);

    const changesetId = res.result.changeset_id;
    const shown = await s.api('GET', `changesets/${changesetId}/?page=1&page_size=1`);
    expect(shown.body).toMatchObject({ scenario_count: n, fields: ['tags'], status: 'applied' });
    expect(shown.body.items).toEqual([
      {
        scenario_id: ids[0],
        scenario_name: 'Billing question 1',
        action: 'update',
        changes: { tags: { old: ['billing', 'group-1'], new: ['billing', 'group-1', 'reviewed'] } },
        before_revision: 1,
        after_revision: 2,
        reverted_by: null,
      },
    ]);
    // An update's item keeps the fields it changed and the name, not two whole copies of the scenario.
    const item = await db()
      .selectFrom('changeset_items')
      .select(['before', 'after'])
      .where('changeset_id', '=', changesetId)
      .where('scenario_id', '=', ids.at(-1)!)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(item.before!)).toEqual({ name: `Billing question ${n}`, tags: ['billing', `group-${n % 10}`] });
    expect(JSON.parse(item.after!)).toEqual({ name: `Billing question ${n}`, tags: ['billing', `group-${n % 10}`, 'reviewed'] });

    const reverted = await s.api('POST', `changesets/${changesetId}/revert/`, {});
    expect(reverted.status, JSON.stringify(reverted.body).slice(0, 500)).toBe(200);
    expect(reverted.body).toMatchObject({ reverted_scenario_ids: ids, conflicts: [] });
    expect((await s.api('GET', `scenarios/${ids.at(-1)}/`)).body).toMatchObject({ tags: ['billing', `group-${n % 10}`], revision: 3 });
  });
});
