import { type ChangesetAction, type ChangesetKind, type ChangesetStatus, changesetStatus } from '../domain/changeset.js';
import { yielder } from '../domain/event-loop.js';
import { diffScenarioFields, EMPTY_SCENARIO, type FieldChanges, type ScenarioFields } from '../domain/scenario.js';
import type { Executor } from './db.js';
import { getOwned } from './ownership.js';
import { type Actor, scenarioFieldsOf } from './scenarios.js';
import type { NewRow, Row } from './schema.js';
import { enqueueWebhookEvent } from './webhooks.js';

/** Item rows per INSERT: well under every dialect's limit on bound parameters. */
const ITEMS_PER_INSERT = 100;
const CHUNK = 500;

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
}

const actionOf = (e: ChangesetEntry): ChangesetAction => (e.before === null ? 'create' : e.after === null ? 'delete' : 'update');

function itemFields(e: ChangesetEntry): string[] {
  const before = e.before ? scenarioFieldsOf(e.before) : EMPTY_SCENARIO;
  const after = e.after ? scenarioFieldsOf(e.after) : EMPTY_SCENARIO;
  return Object.keys(diffScenarioFields(before, after as Partial<ScenarioFields>));
}

/**
 * Records a write as changesets, in the caller's transaction: one per project the write touched
 * (a bulk update may span projects), none when it changed nothing. Returns their ids.
 */
export async function recordChangeset(db: Executor, head: ChangesetHead, entries: ReadonlyArray<ChangesetEntry>): Promise<number[]> {
  const real = entries.filter((e) => !(e.before && e.after && e.before.revision === e.after.revision));
  const byProject = new Map<number, ChangesetEntry[]>();
  for (const e of real) {
    const p = (e.after ?? e.before)!.project_id;
    byProject.set(p, [...(byProject.get(p) ?? []), e]);
  }
  const ids: number[] = [];
  for (const [projectId, group] of byProject) {
    // Diffing and serializing 10,000 scenarios is long synchronous work: other requests get turns between.
    const breathe = yielder(500);
    const items: Array<{ e: ChangesetEntry; fields: string[] }> = [];
    for (const e of group) {
      await breathe();
      items.push({ e, fields: itemFields(e) });
    }
    const fields = [...new Set(items.flatMap((i) => i.fields))].sort();
    const { id } = await db
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
        scenario_count: group.length,
        fields: JSON.stringify(fields),
        created_at: head.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const rows: NewRow<'changeset_items'>[] = items.map(({ e, fields }) => ({
      changeset_id: id,
      organization_id: head.organizationId,
      scenario_id: (e.after ?? e.before)!.id,
      action: actionOf(e),
      fields: JSON.stringify(fields),
      before: e.before ? JSON.stringify(scenarioFieldsOf(e.before)) : null,
      before_revision: e.before?.revision ?? null,
      after: e.after ? JSON.stringify(scenarioFieldsOf(e.after)) : null,
      after_revision: e.after?.revision ?? null,
      reverted_by: null,
    }));
    for (let i = 0; i < rows.length; i += ITEMS_PER_INSERT)
      await db
        .insertInto('changeset_items')
        .values(rows.slice(i, i + ITEMS_PER_INSERT))
        .execute();
    const event = head.kind === 'revert' ? 'changeset.reverted' : 'changeset.applied';
    await enqueueWebhookEvent(
      db,
      head.organizationId,
      projectId,
      event,
      async () => ({
        changeset_id: id,
        project_id: projectId,
        kind: head.kind,
        reverts: head.revertsId ?? null,
        progress_id: head.jobId
          ? ((await db.selectFrom('jobs').select('progress_id').where('id', '=', head.jobId).executeTakeFirst())?.progress_id ?? null)
          : null,
        session_id: head.sessionId ?? null,
        scenario_ids: rows.map((r) => r.scenario_id),
        fields,
      }),
      head.now,
    );
    ids.push(id);
  }
  return ids;
}

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
