import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict } from '../../src/domain/errors.js';
import { emptyUsage } from '../../src/domain/jobs.js';
import { blankResult } from '../../src/domain/suggestion.js';
import { budgetFor } from '../../src/jobs/budget.js';
import { endJob } from '../../src/jobs/job-end.js';
import { bootstrap } from '../../src/store/bootstrap.js';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { keepBatch, keptBatches } from '../../src/store/job-batches.js';
import { cancelJob, claimNext, failExhausted, finishJob, heartbeat, insertJob, releaseOwned, resultItems } from '../../src/store/jobs.js';
import { findApiKey } from '../../src/store/organizations.js';
import {
  createScenario,
  listRevisions,
  loadScenarios,
  revertScenario,
  scenarioFieldsOf,
  updateScenario,
  writeMerged,
  writeMergedMany,
} from '../../src/store/scenarios.js';
import { createSession, listSessions } from '../../src/store/sessions.js';
import { insertRows, WritesInFlight } from '../../src/store/set-writes.js';
import { createTestDatabase, pgEnabled } from '../helpers/pg.js';

/** The same store behaviour on both databases: every test here runs on SQLite, and on PostgreSQL in CI. */
const dialects = [{ name: 'sqlite' }, ...(pgEnabled ? [{ name: 'postgres' }] : [])];

describe.each(dialects)('store on $name', ({ name }) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let org: number;
  let project: number;
  let personality: number;
  const now = () => new Date().toISOString();
  const actor = { keyId: null, name: 'test' };

  beforeAll(async () => {
    if (name === 'postgres') {
      const db = await createTestDatabase();
      store = openStore({ kind: 'postgres', url: db.url, poolSize: 8 });
      cleanup = db.drop;
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-store-'));
      store = openStore({ kind: 'sqlite', file: path.join(dir, 'db.sqlite') });
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    }
    await migrate(store);
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  it('migrations are idempotent', async () => {
    expect(await migrate(store)).toEqual([]);
  });

  it('bootstraps exactly once, even when asked concurrently', async () => {
    const results = await Promise.all([bootstrap(store, now()), bootstrap(store, now()), bootstrap(store, now())]);
    const made = results.filter(Boolean);
    expect(made).toHaveLength(1);
    expect(await bootstrap(store, now())).toBeNull();
    const key = made[0]!;
    expect((await findApiKey(store.db, key.key))?.organization_id).toBe(key.organizationId);
    const stored = await store.db.selectFrom('api_keys').select('key_hash').execute();
    expect(stored.every((k) => k.key_hash !== key.key)).toBe(true);
    org = key.organizationId;
    project = key.projectId;
    personality = (await store.db.selectFrom('personalities').select('id').where('organization_id', '=', org).orderBy('id').executeTakeFirstOrThrow()).id;
  });

  it('records revisions and guards writes with the revision they read', async () => {
    const sc = await createScenario(store.db, org, actor, { name: 'S', project, personality, tags: ['a'] }, now());
    const v2 = await updateScenario(store.db, org, actor, sc.id, { name: 'S2' }, { now: now() });
    expect(v2.revision).toBe(2);
    await expect(updateScenario(store.db, org, actor, sc.id, { name: 'S3' }, { now: now(), expectedRevision: 1 })).rejects.toBeInstanceOf(Conflict);
    // Two writers racing from the same revision: exactly one wins.
    const results = await Promise.allSettled(
      ['A', 'B', 'C'].map((n) =>
        store.db.transaction().execute((tx) => updateScenario(tx, org, actor, sc.id, { name: n }, { now: now(), expectedRevision: 2 })),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const reverted = await revertScenario(store.db, org, actor, sc.id, { revision: 1 }, now());
    expect(reverted).toMatchObject({ name: 'S', revision: 4 });
    const revs = await listRevisions(store.db, org, sc.id, { offset: 0, limit: 10 });
    expect(revs.map((r) => r.change_type)).toEqual(['revert', 'update', 'update', 'create']);
  });

  it('writes many scenarios set-based, each with its own values and revision, and names every one that lost the race', async () => {
    const rows: Awaited<ReturnType<typeof createScenario>>[] = [];
    for (const n of ['M1', 'M2', 'M3', 'M4']) rows.push(await createScenario(store.db, org, actor, { name: n, project, personality, tags: ['t'] }, now()));
    // Different columns per scenario, text and integer, values with quotes, braces and commas (array literals on PostgreSQL).
    const merged = rows.map((r, i) => ({ ...scenarioFieldsOf(r), ...(i % 2 ? { max_duration: 60 + i } : { tags: [`a,"b"{${i}}`, 'c'] }), name: `M${i}'s` }));
    const written = await store.db.transaction().execute((tx) =>
      writeMergedMany(
        tx,
        actor,
        rows.map((current, i) => ({ current, merged: merged[i]! })),
        { now: now(), changeType: 'apply' },
      ),
    );
    expect(written.map((w) => w.revision)).toEqual([2, 2, 2, 2]);
    const stored = await loadScenarios(
      store.db,
      org,
      rows.map((r) => r.id),
    );
    expect(stored.map((r) => scenarioFieldsOf(r))).toEqual(merged);
    expect(stored.map((r) => r.revision)).toEqual([2, 2, 2, 2]);
    const revs = await listRevisions(store.db, org, rows[1]!.id, { offset: 0, limit: 10 });
    expect(JSON.parse(revs[0]!.snapshot)).toEqual(merged[1]);
    expect(JSON.parse(revs[0]!.changed_fields)).toMatchObject({ max_duration: { new: 61 } });

    // Two of them changed behind the writer's back: both are named and nothing of the write stays.
    await updateScenario(store.db, org, actor, rows[0]!.id, { name: 'moved' }, { now: now() });
    await updateScenario(store.db, org, actor, rows[3]!.id, { name: 'moved' }, { now: now() });
    const again = stored.map((current) => ({ current, merged: { ...scenarioFieldsOf(current), name: 'again' } }));
    const err = await store.db
      .transaction()
      .execute((tx) => writeMergedMany(tx, actor, again, { now: now() }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Conflict);
    expect((err as Conflict).details?.conflicts).toEqual([
      { scenario_id: rows[0]!.id, based_on_revision: 2 },
      { scenario_id: rows[3]!.id, based_on_revision: 2 },
    ]);
    const after = await loadScenarios(
      store.db,
      org,
      rows.map((r) => r.id),
    );
    expect(after.map((r) => r.name)).toEqual(['moved', "M1's", "M2's", 'moved']);
  });

  it('writes left in flight are answered before the transaction ends, and the failure named is the first of its own', async () => {
    const before = await store.db.selectFrom('projects').select('id').execute();
    const err = await store.db
      .transaction()
      .execute(async (tx) => {
        const inFlight = new WritesInFlight(tx);
        try {
          await inFlight.add(insertRows(tx, 'projects', [{ name: 'name', type: 'text' }], [['No organization']]));
          // On PostgreSQL the statements after the failed one are refused (25P02), this read too.
          await inFlight.add(insertRows(tx, 'projects', [{ name: 'name', type: 'text' }], [['Refused']]));
          await tx.selectFrom('projects').select('id').execute();
        } catch (error) {
          await inFlight.settle({ error });
        }
        await inFlight.settle();
      })
      .catch((e: unknown) => e as { code?: string; message: string });
    expect(err?.message).toMatch(/null/i);
    expect(err?.code).not.toBe('25P02');
    expect(await store.db.selectFrom('projects').select('id').execute()).toEqual(before);
  });

  it('a read outside a transaction does not wait for an open one, and sees what was committed', async () => {
    const sc = await createScenario(store.db, org, actor, { name: 'Before', project, personality }, now());
    let readDuring: string | undefined;
    await store.db.transaction().execute(async (tx) => {
      await updateScenario(tx, org, actor, sc.id, { name: 'During' }, { now: now() });
      // On the single SQLite connection this read would wait for the commit below: a deadlock here.
      const outside = await Promise.race([loadScenarios(store.db, org, [sc.id]), new Promise<null>((r) => setTimeout(() => r(null), 3_000))]);
      readDuring = outside?.[0]?.name;
    });
    expect(readDuring).toBe('Before');
    expect((await loadScenarios(store.db, org, [sc.id]))[0]!.name).toBe('During');
  });

  // Needs two connections at once, which the embedded SQLite store serializes.
  it.skipIf(name !== 'postgres')('a write that waited on a concurrent one for the same revision conflicts instead of overwriting it', async () => {
    const sc = await createScenario(store.db, org, actor, { name: 'Raced', project, personality }, now());
    let bothRead!: () => void;
    const read = new Promise<void>((r) => (bothRead = r));
    let readers = 0;
    let firstWrote!: () => void;
    const wrote = new Promise<void>((r) => (firstWrote = r));
    const writer = (label: string, first: boolean) =>
      store.db.transaction().execute(async (tx) => {
        const [row] = await loadScenarios(tx, org, [sc.id]);
        if (++readers === 2) bothRead();
        await read;
        if (!first) await wrote;
        const written = writeMerged(tx, actor, row!, { ...scenarioFieldsOf(row!), name: label }, { now: now(), changeType: 'apply' });
        if (first) {
          await written;
          firstWrote();
          // Hold the row lock a moment, so the second writer's update waits on it under READ COMMITTED.
          await new Promise((r) => setTimeout(r, 200));
        }
        return written;
      });
    const [a, b] = await Promise.allSettled([writer('A', true), writer('B', false)]);
    expect(a.status).toBe('fulfilled');
    expect(b).toMatchObject({ status: 'rejected', reason: expect.any(Conflict) });
    const revs = await listRevisions(store.db, org, sc.id, { offset: 0, limit: 10 });
    expect(revs.map((r) => [r.revision, r.change_type])).toEqual([
      [2, 'apply'],
      [1, 'create'],
    ]);
    expect((await loadScenarios(store.db, org, [sc.id]))[0]).toMatchObject({ name: 'A', revision: 2 });
  });

  describe('jobs', () => {
    const job = () => ({
      organizationId: org,
      projectId: project,
      sessionId: null,
      kind: 'improve' as const,
      mode: 'improve',
      request: {},
      maxAttempts: 2,
      createdBy: null,
    });

    it('concurrent claims never take the same job', async () => {
      const jobs = await Promise.all(Array.from({ length: 10 }, () => insertJob(store.db, job(), now())));
      const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => claimNext(store.db, `w${i}`, 60_000, new Date())));
      const claimed = claims.filter(Boolean).map((c) => c!.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBeGreaterThan(0);
      for (const j of jobs) await cancelJob(store.db, j.id, now());
    });

    it('claimers draining a queue together take every job exactly once', async () => {
      const jobs = await Promise.all(Array.from({ length: 40 }, () => insertJob(store.db, job(), now())));
      const ids = new Set(jobs.map((j) => j.id));
      const taken: number[] = [];
      const waiting = async () =>
        (await store.db.selectFrom('jobs').select('id').where('status', '=', 'in_progress').where('lease_owner', 'is', null).execute()).filter((r) =>
          ids.has(r.id),
        ).length;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          // claimNext may give up after losing several races in a row, so a claimer stops only when nothing waits.
          while ((await waiting()) > 0) {
            const c = await claimNext(store.db, `drain${w}`, 60_000, new Date(), ['improve']);
            if (c && ids.has(c.id)) taken.push(c.id);
          }
        }),
      );
      expect(taken.sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
      for (const j of jobs) await cancelJob(store.db, j.id, now());
    });

    it('an expired lease is taken over, and the old owner can no longer finish', async () => {
      const j = await insertJob(store.db, job(), now());
      const first = (await claimNext(store.db, 'dead', 1_000, new Date(), ['improve']))!;
      expect(first.id).toBe(j.id);
      expect(await claimNext(store.db, 'other', 1_000, new Date(), ['improve'])).toBeNull();
      const later = new Date(Date.now() + 5_000);
      const second = (await claimNext(store.db, 'alive', 60_000, later, ['improve']))!;
      expect(second).toMatchObject({ id: j.id, attempts: 2, lease_owner: 'alive' });
      const outcome = { status: 'completed' as const, result: blankResult('improve'), error: null, usage: emptyUsage() };
      expect(await finishJob(store.db, { jobId: j.id, owner: 'dead', attempt: 1 }, outcome, now())).toBe(false);
      expect((await heartbeat(store.db, { jobId: j.id, owner: 'dead', attempt: 1 }, 1000, new Date())).owned).toBe(false);
      expect(await finishJob(store.db, { jobId: j.id, owner: 'alive', attempt: 2 }, outcome, now())).toBe(true);
    });

    it('a job out of attempts is failed with a reason; a released one is not charged', async () => {
      const j = await insertJob(store.db, { ...job(), maxAttempts: 1 }, now());
      await claimNext(store.db, 'dies', 1_000, new Date(), ['improve']);
      const failed = await failExhausted(store.db, new Date(Date.now() + 5_000));
      expect(failed.map((f) => f.id)).toContain(j.id);
      const row = await store.db.selectFrom('jobs').selectAll().where('id', '=', j.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'failed', error: expect.stringContaining('stopped') });

      const k = await insertJob(store.db, { ...job(), maxAttempts: 1 }, now());
      await claimNext(store.db, 'leaving', 60_000, new Date(), ['improve']);
      expect(await releaseOwned(store.db, 'leaving', now())).toBe(1);
      expect((await claimNext(store.db, 'next', 60_000, new Date(), ['improve']))?.id).toBe(k.id);
    });

    it("a session list names each session's latest job, or none", async () => {
      const session = (title: string) => createSession(store.db, { organizationId: org, projectId: project, title, scenarioIds: [], createdBy: null }, now());
      const [busy, idle] = [await session('busy'), await session('idle')];
      const first = await insertJob(store.db, { ...job(), sessionId: busy.id }, now());
      await cancelJob(store.db, first.id, now());
      const latest = await insertJob(store.db, { ...job(), sessionId: busy.id, kind: 'apply' }, now());
      const rows = await listSessions(store.db, org, project);
      expect(rows.find((r) => r.id === busy.id)!.latest_job).toEqual({ progress_id: latest.progress_id, status: 'in_progress', kind: 'apply' });
      expect(rows.find((r) => r.id === idle.id)!.latest_job).toBeUndefined();
      await cancelJob(store.db, latest.id, now());
    });

    it("reads back a job's updated_scenarios item by item, in order and whole", async () => {
      const items = [
        { id: 7, name: 'Réfund ✓', tags: ['a', 'b'], based_on_revision: 3, changes: { tags: { old: ['a'], new: ['a', 'b'] } }, reasons: {}, notes: ['x "y"'] },
        { name: 'Same name', draft: true, personality: 2, reason: 'first', source_files: [] },
        { name: 'Same name', draft: true, personality: 2, reason: 'second', source_files: [4], max_duration: 120.5 },
        ...Array.from({ length: 1_200 }, (_, i) => ({ id: 1_000 + i, tool_ids: ['TOOL_DTMF'], changes: { tool_ids: { old: [], new: ['TOOL_DTMF'] } } })),
      ];
      const withItems = await insertJob(store.db, job(), now());
      await store.db
        .updateTable('jobs')
        .set({ result: JSON.stringify({ ...blankResult('improve'), updated_scenarios: items }) })
        .where('id', '=', withItems.id)
        .execute();
      expect(await resultItems(store.db, withItems.id)).toEqual(items);
      const unfinished = await insertJob(store.db, job(), now());
      expect(await resultItems(store.db, unfinished.id)).toEqual([]);
      await store.db
        .updateTable('jobs')
        .set({ result: JSON.stringify(blankResult('apply')) })
        .where('id', '=', unfinished.id)
        .execute();
      expect(await resultItems(store.db, unfinished.id)).toEqual([]);
      // Out of the way of the claims the next tests make.
      for (const j of [withItems, unfinished]) await cancelJob(store.db, j.id, now());
    });

    it('a cancelled job cannot be finished afterwards', async () => {
      const j = await insertJob(store.db, job(), now());
      const claimed = (await claimNext(store.db, 'w', 60_000, new Date(), ['improve']))!;
      expect(claimed.id).toBe(j.id);
      expect(await cancelJob(store.db, j.id, now())).toBe(true);
      expect(await cancelJob(store.db, j.id, now())).toBe(false);
      const outcome = { status: 'completed' as const, result: blankResult('improve'), error: null, usage: emptyUsage() };
      expect(await finishJob(store.db, { jobId: j.id, owner: 'w', attempt: claimed.attempts }, outcome, now())).toBe(false);
    });

    it("a finished batch is kept only by the job's holder, with its progress, and goes when the job ends", async () => {
      const j = await insertJob(store.db, job(), now());
      const first = (await claimNext(store.db, 'dead', 1_000, new Date(), ['improve'], j.progress_id))!;
      const usage = { input_tokens: 10, output_tokens: 5, cached_input_tokens: 0, model_calls: 1 };
      const batch = (key: string) => ({ key, units: 1, outcome: { ok: true, value: { message: key } }, usage });
      const dead = { jobId: j.id, owner: 'dead', attempt: first.attempts };
      expect(await keepBatch(store.db, dead, batch('1@1'), { done: 1, total: 3, usage }, now())).toBe(true);
      const second = (await claimNext(store.db, 'alive', 60_000, new Date(Date.now() + 5_000), ['improve'], j.progress_id))!;
      // The worker that lost the job keeps nothing and moves no progress.
      expect(await keepBatch(store.db, dead, batch('2@1'), { done: 2, total: 3, usage }, now())).toBe(false);
      expect(await keptBatches(store.db, j.id)).toEqual([batch('1@1')]);
      const alive = { jobId: j.id, owner: 'alive', attempt: second.attempts };
      expect(await keepBatch(store.db, alive, batch('2@1'), { done: 2, total: 3, usage: { ...usage, model_calls: 2 } }, now())).toBe(true);
      expect((await keptBatches(store.db, j.id)).map((b) => b.key).sort()).toEqual(['1@1', '2@1']);
      expect(await store.db.selectFrom('jobs').select(['progress_done', 'usage']).where('id', '=', j.id).executeTakeFirstOrThrow()).toEqual({
        progress_done: 2,
        usage: JSON.stringify({ ...usage, model_calls: 2 }),
      });
      // Cancelled: its worker keeps nothing more, and the job's end takes its kept batches with it.
      const row = await store.db.selectFrom('jobs').selectAll().where('id', '=', j.id).executeTakeFirstOrThrow();
      expect(await endJob(store, { cause: 'cancelled', job: row }, now())).toHaveLength(1);
      expect(await keepBatch(store.db, alive, batch('3@1'), { done: 3, total: 3, usage }, now())).toBe(false);
      expect(await keptBatches(store.db, j.id)).toEqual([]);
    });

    it("a job resumed after its worker died has its kept batches' usage counted against its max_tokens", async () => {
      const j = await insertJob(store.db, { ...job(), request: { budget: { max_tokens: 1_000, max_cost: null } } }, now());
      const first = (await claimNext(store.db, 'dead', 1_000, new Date(), ['improve'], j.progress_id))!;
      const usage = { input_tokens: 600, output_tokens: 100, cached_input_tokens: 0, model_calls: 1 };
      const lease = { jobId: j.id, owner: 'dead', attempt: first.attempts };
      await keepBatch(store.db, lease, { key: '1@1', units: 1, outcome: { ok: true, value: {} }, usage }, { done: 1, total: 2, usage }, now());
      const row = await store.db.selectFrom('jobs').selectAll().where('id', '=', j.id).executeTakeFirstOrThrow();
      const budget = await budgetFor(store.db, { model: 'offline', prices: {} }, row, JSON.parse(row.request));
      // 700 spent before: a call of 400 more would pass 1,000; one of 300 fits.
      expect(budget.reserve({ model_calls: 1, input_tokens: 300, output_tokens: 100 })).toMatch(/exceed max_tokens: 700 used/);
      expect(
        (await budgetFor(store.db, { model: 'offline', prices: {} }, row, JSON.parse(row.request))).reserve({
          model_calls: 1,
          input_tokens: 250,
          output_tokens: 50,
        }),
      ).toBeNull();
    });
  });
});
