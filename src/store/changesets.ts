import { type ChangesetAction, type ChangesetKind, type ChangesetStatus, changesetStatus } from '../domain/changeset.js';
import { yielder } from '../domain/event-loop.js';
import { diffScenarioFields, EMPTY_SCENARIO, type FieldChanges, type ScenarioFields } from '../domain/scenario.js';
import type { Executor } from './db.js';
import { getOwned } from './ownership.js';
import { type Actor, scenarioFieldsOf } from './scenarios.js';
import type { Row } from './schema.js';
import { type Column, insertRows } from './set-writes.js';
import { enqueueWebhookEvent } from './webhooks.js';

export interface ChangesetHead {
  organizationId: number;
  kind: ChangesetKind;
  actor: Actor;
  now: string;
  jobId?: number | null;
  sessionId?: number | null;
  revertsId?: number | null;
  summary?: string;
}

/** One scenario as a write found it and left it: `before` null for a create, `after` null for a delete. */
export interface ChangesetEntry {
  before: Row<'scenarios'> | null;
  after: Row<'scenarios'> | null;
  /** An update's changes when the writer knows them (writeScenarioVersions does): the rows are then not parsed and diffed again. */
  changes?: FieldChanges;
}

const actionOf = (e: ChangesetEntry): ChangesetAction => (e.before === null ? 'create' : e.after === null ? 'delete' : 'update');

const ITEM_COLUMNS: Column[] = [
  { name: 'changeset_id', type: 'integer' },
  { name: 'organization_id', type: 'integer' },
  { name: 'scenario_id', type: 'integer' },
  { name: 'action', type: 'text' },
  { name: 'fields', type: 'text' },
  { name: 'before', type: 'text' },
  { name: 'before_revision', type: 'integer' },
  { name: 'after', type: 'text' },
  { name: 'after_revision', type: 'integer' },
  { name: 'reverted_by', type: 'integer' },
];

/**
 * What an item keeps of the scenario before and after, as stored text, and the fields it changed.
 * A create or a delete keeps the whole content (a revert deletes or brings back the scenario); an
 * update keeps only the fields it changed and the name, since showing and reverting it read no
 * other: a 10,000-scenario apply then stores a few hundred bytes per item, not two whole copies.
 */
function itemContent(e: ChangesetEntry): { fields: string[]; before: string | null; after: string | null } {
  if (!e.before || !e.after) {
    const before = e.before ? scenarioFieldsOf(e.before) : null;
    const after = e.after ? scenarioFieldsOf(e.after) : null;
    const fields = Object.keys(diffScenarioFields(before ?? EMPTY_SCENARIO, (after ?? EMPTY_SCENARIO) as Partial<ScenarioFields>));
    return { fields, before: before && JSON.stringify(before), after: after && JSON.stringify(after) };
  }
  const changes = e.changes ?? diffScenarioFields(scenarioFieldsOf(e.before), scenarioFieldsOf(e.after));
  const before: Record<string, unknown> = { name: e.before.name };
  const after: Record<string, unknown> = { name: e.after.name };
  for (const [f, c] of Object.entries(changes)) {
    before[f] = c!.old;
    after[f] = c!.new;
  }
  return { fields: Object.keys(changes), before: JSON.stringify(before), after: JSON.stringify(after) };
}

/** One project's changeset while its items are being recorded. */
interface OpenChangeset {
  /** Its row's id, once its first items are stored. */
  id?: Promise<number>;
  projectId: number;
  scenarioIds: number[];
  fields: Set<string>;
}

/** Entries serialized as items, per changeset, waiting for its id (each row's first value). */
export type StagedItems = Map<OpenChangeset, unknown[][]>;

/**
 * A write recorded as changesets part by part, in the caller's transaction: one per project the
 * write touched (a bulk update may span projects), none when it changed nothing. A write of
 * thousands of scenarios adds each part as it writes it, so no part's rows are kept for the end;
 * `finish` completes each changeset's count and fields and tells the webhooks.
 */
export class ChangesetRecorder {
  readonly #open = new Map<number, OpenChangeset>();

  constructor(
    private readonly db: Executor,
    private readonly head: ChangesetHead,
  ) {}

  /** Records these entries as items; an entry whose scenario the write left as it was is skipped. */
  async add(entries: ReadonlyArray<ChangesetEntry>): Promise<void> {
    await this.store(await this.stage(entries));
  }

  /**
   * The entries serialized as items, counted in their changesets in the order staged, without the
   * database: a caller stages a part while the database writes the one before, then stores it.
   */
  async stage(entries: ReadonlyArray<ChangesetEntry>): Promise<StagedItems> {
    const { head } = this;
    const staged: StagedItems = new Map();
    // Serializing thousands of items is long synchronous work: other requests get turns between.
    const breathe = yielder(ITEMS_PER_TURN);
    for (const e of entries) {
      if (e.before && e.after && e.before.revision === e.after.revision) continue;
      const turn = breathe();
      if (turn) await turn;
      const cs = this.#changesetOf((e.after ?? e.before)!.project_id);
      const scenarioId = (e.after ?? e.before)!.id;
      const content = itemContent(e);
      for (const f of content.fields) cs.fields.add(f);
      cs.scenarioIds.push(scenarioId);
      let rows = staged.get(cs);
      if (!rows) staged.set(cs, (rows = []));
      rows.push([
        null,
        head.organizationId,
        scenarioId,
        actionOf(e),
        JSON.stringify(content.fields),
        content.before,
        e.before?.revision ?? null,
        content.after,
        e.after?.revision ?? null,
        null,
      ]);
    }
    return staged;
  }

  /** Writes staged items, and the row of a changeset that has none yet. */
  async store(staged: StagedItems): Promise<void> {
    for (const [cs, rows] of staged) {
      const id = await this.#idOf(cs);
      for (const r of rows) r[0] = id;
      await insertRows(this.db, 'changeset_items', ITEM_COLUMNS, rows);
    }
  }

  /** The changesets' ids, in the order their projects first appeared; none when nothing was recorded. */
  async finish(): Promise<number[]> {
    const { db, head } = this;
    const event = head.kind === 'revert' ? 'changeset.reverted' : 'changeset.applied';
    const progressId = async () =>
      head.jobId ? ((await db.selectFrom('jobs').select('progress_id').where('id', '=', head.jobId).executeTakeFirst())?.progress_id ?? null) : null;
    const ids: number[] = [];
    for (const cs of this.#open.values()) {
      const id = await this.#idOf(cs);
      ids.push(id);
      const fields = [...cs.fields].sort();
      await db
        .updateTable('changesets')
        .set({ scenario_count: cs.scenarioIds.length, fields: JSON.stringify(fields) })
        .where('id', '=', id)
        .execute();
      await enqueueWebhookEvent(
        db,
        head.organizationId,
        cs.projectId,
        event,
        async () => ({
          changeset_id: id,
          project_id: cs.projectId,
          kind: head.kind,
          reverts: head.revertsId ?? null,
          progress_id: await progressId(),
          session_id: head.sessionId ?? null,
          scenario_ids: cs.scenarioIds,
          fields,
        }),
        head.now,
      );
    }
    return ids;
  }

  #changesetOf(projectId: number): OpenChangeset {
    let cs = this.#open.get(projectId);
    if (!cs) this.#open.set(projectId, (cs = { projectId, scenarioIds: [], fields: new Set() }));
    return cs;
  }

  /** The changeset's id, its row inserted the first time it is asked for (once, however many parts ask at once). */
  #idOf(cs: OpenChangeset): Promise<number> {
    cs.id ??= this.#insert(cs.projectId);
    return cs.id;
  }

  async #insert(projectId: number): Promise<number> {
    const { head } = this;
    // Count and fields are completed by finish, in the same transaction.
    const { id } = await this.db
      .insertInto('changesets')
      .values({
        organization_id: head.organizationId,
        project_id: projectId,
        kind: head.kind,
        summary: head.summary ?? '',
        actor_key_id: head.actor.keyId,
        actor: head.actor.name,
        job_id: head.jobId ?? null,
        session_id: head.sessionId ?? null,
        reverts_changeset_id: head.revertsId ?? null,
        scenario_count: 0,
        fields: '[]',
        created_at: head.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }
}

/**
 * Records a write as changesets, in the caller's transaction: one per project the write touched
 * (a bulk update may span projects), none when it changed nothing. Returns their ids.
 */
export async function recordChangeset(db: Executor, head: ChangesetHead, entries: ReadonlyArray<ChangesetEntry>): Promise<number[]> {
  const recorder = new ChangesetRecorder(db, head);
  await recorder.add(entries);
  return recorder.finish();
}

/** Items serialized between two turns of the event loop: a millisecond or two of work. */
const ITEMS_PER_TURN = 100;
const CHUNK = 500;

export interface ChangesetFilter {
  projectId?: number;
  sessionId?: number;
  scenarioId?: number;
  jobId?: number;
}

/** A changeset row with what its list entry shows beside it. */
export type ChangesetSummary = Row<'changesets'> & { progress_id: string | null; status: ChangesetStatus; reverted_count: number; reverted_by: number[] };

async function summarize(db: Executor, rows: Row<'changesets'>[]): Promise<ChangesetSummary[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const reverted = await db
    .selectFrom('changeset_items')
    .select(['changeset_id', 'reverted_by', (eb) => eb.fn.countAll<number>().as('n')])
    .where('changeset_id', 'in', ids)
    .where('reverted_by', 'is not', null)
    .groupBy(['changeset_id', 'reverted_by'])
    .execute();
  const jobIds = [...new Set(rows.map((r) => r.job_id).filter((j): j is number => j !== null))];
  const jobs = jobIds.length ? await db.selectFrom('jobs').select(['id', 'progress_id']).where('id', 'in', jobIds).execute() : [];
  const progressOf = new Map(jobs.map((j) => [j.id, j.progress_id]));
  return rows.map((r) => {
    const mine = reverted.filter((x) => x.changeset_id === r.id);
    const n = mine.reduce((a, x) => a + Number(x.n), 0);
    return {
      ...r,
      progress_id: r.job_id === null ? null : (progressOf.get(r.job_id) ?? null),
      status: changesetStatus(r.scenario_count, n),
      reverted_count: n,
      // An item with nothing left to undo is marked with its own changeset's id: not a revert to name.
      reverted_by: [...new Set(mine.map((x) => x.reverted_by!))].filter((id) => id !== r.id).sort((a, b) => a - b),
    };
  });
}

/** The organization's changesets, newest first, narrowed by project, session, scenario or job. */
export async function listChangesets(
  db: Executor,
  organizationId: number,
  filter: ChangesetFilter,
  page: { offset: number; limit: number },
): Promise<{ count: number; rows: ChangesetSummary[] }> {
  let q = db.selectFrom('changesets').where('changesets.organization_id', '=', organizationId);
  if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
  if (filter.sessionId !== undefined) q = q.where('session_id', '=', filter.sessionId);
  if (filter.jobId !== undefined) q = q.where('job_id', '=', filter.jobId);
  if (filter.scenarioId !== undefined) {
    const sid = filter.scenarioId;
    q = q.where('id', 'in', (eb) =>
      eb.selectFrom('changeset_items').select('changeset_id').where('scenario_id', '=', sid).where('organization_id', '=', organizationId),
    );
  }
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.selectAll().orderBy('id', 'desc').offset(page.offset).limit(page.limit).execute();
  return { count: Number(n), rows: await summarize(db, rows) };
}

export async function getChangeset(db: Executor, organizationId: number, id: number): Promise<ChangesetSummary> {
  return (await summarize(db, [await getOwned(db, 'changesets', organizationId, id)]))[0]!;
}

/** One scenario of a changeset, its stored content parsed. */
export interface ChangesetItem {
  id: number;
  scenario_id: number;
  action: ChangesetAction;
  fields: string[];
  before: ScenarioFields | null;
  before_revision: number | null;
  after: ScenarioFields | null;
  after_revision: number | null;
  reverted_by: number | null;
}

function itemOf(r: Row<'changeset_items'>): ChangesetItem {
  const parse = (t: string | null) => (t === null ? null : ({ ...EMPTY_SCENARIO, ...JSON.parse(t) } as ScenarioFields));
  return {
    id: r.id,
    scenario_id: r.scenario_id,
    action: r.action as ChangesetAction,
    fields: JSON.parse(r.fields),
    before: parse(r.before),
    before_revision: r.before_revision,
    after: parse(r.after),
    after_revision: r.after_revision,
    reverted_by: r.reverted_by,
  };
}

/** What the item changed, field by field, as revisions show it. */
export function itemChanges(item: ChangesetItem): FieldChanges {
  const out: FieldChanges = {};
  for (const f of item.fields as Array<keyof ScenarioFields>) out[f] = { old: item.before?.[f] ?? null, new: item.after?.[f] ?? null };
  return out;
}

/** A changeset's items in scenario order; `pendingOnly` leaves out those already reverted. */
export async function changesetItems(
  db: Executor,
  changesetId: number,
  opts: { pendingOnly?: boolean; offset?: number; limit?: number } = {},
): Promise<ChangesetItem[]> {
  let q = db.selectFrom('changeset_items').selectAll().where('changeset_id', '=', changesetId);
  if (opts.pendingOnly) q = q.where('reverted_by', 'is', null);
  q = q.orderBy('scenario_id').orderBy('id');
  if (opts.limit !== undefined) q = q.offset(opts.offset ?? 0).limit(opts.limit);
  return (await q.execute()).map(itemOf);
}

/** Marks items as undone by a revert changeset. */
export async function markItemsReverted(db: Executor, itemIds: number[], byChangesetId: number): Promise<void> {
  for (let i = 0; i < itemIds.length; i += CHUNK) {
    await db
      .updateTable('changeset_items')
      .set({ reverted_by: byChangesetId })
      .where('id', 'in', itemIds.slice(i, i + CHUNK))
      .execute();
  }
}
