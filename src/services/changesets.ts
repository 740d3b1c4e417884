import { type RevertConflictReason, revertStep } from '../domain/changeset.js';
import { Conflict } from '../domain/errors.js';
import { diffScenarioFields, type ScenarioFields } from '../domain/scenario.js';
import { type ChangesetEntry, changesetItems, getChangeset, itemChanges, listChangesets, markItemsReverted, recordChangeset } from '../store/changesets.js';
import type { Db } from '../store/db.js';
import { findJobByProgressId } from '../store/jobs.js';
import {
  type Actor,
  checkScenarioWrite,
  deleteScenario,
  loadScenarios,
  type ReferenceLookups,
  restoreScenario,
  scenarioFieldsOf,
  writeMergedMany,
} from '../store/scenarios.js';
import type { Row } from '../store/schema.js';

export interface RevertInput {
  organizationId: number;
  actor: Actor;
  changesetId: number;
  /** Undo scenarios written since the changeset too (only the fields it changed go back). */
  force: boolean;
  now: string;
}

export interface RevertConflict {
  scenario_id: number;
  reason: RevertConflictReason;
  message: string;
  expected_revision: number | null;
  current_revision: number | null;
}

export interface RevertOutcome {
  changeset_id: number;
  /** The changeset the revert itself recorded (null when it changed nothing). */
  revert_changeset_id: number | null;
  reverted_scenario_ids: number[];
  deleted_scenario_ids: number[];
  restored_scenario_ids: number[];
  conflicts: RevertConflict[];
  message: string;
}

function messageOf(o: Omit<RevertOutcome, 'message'>): string {
  const done = o.reverted_scenario_ids.length + o.deleted_scenario_ids.length + o.restored_scenario_ids.length;
  const parts = [`Reverted changeset ${o.changeset_id}: ${o.reverted_scenario_ids.length} scenario(s) restored to their earlier content`];
  parts.push(`${o.deleted_scenario_ids.length} created by it deleted`, `${o.restored_scenario_ids.length} deleted by it restored`);
  let m = `${parts.join(', ')}.`;
  if (!done && !o.conflicts.length) m = `Changeset ${o.changeset_id} had nothing left to revert.`;
  if (o.conflicts.length) {
    m += ` ${o.conflicts.length} scenario(s) were left alone (${o.conflicts.map((c) => `${c.scenario_id}: ${c.reason}`).join(', ')}); revert again with force to undo them anyway.`;
  }
  return m;
}

/**
 * Undoes a changeset in one transaction: each scenario it updated gets its earlier content back as
 * a new revision, each it created is deleted, each it deleted comes back. A scenario written since
 * is a conflict named in the answer and left alone unless `force`. What the revert did is itself a
 * changeset (so a revert can be reverted); items already undone are skipped, so reverting again
 * with `force` finishes what the conflicts held back.
 */
export async function revertChangeset(db: Db, input: RevertInput): Promise<RevertOutcome> {
  const { organizationId: orgId, actor, now } = input;
  return db.transaction().execute(async (tx) => {
    const cs = await getChangeset(tx, orgId, input.changesetId);
    const items = await changesetItems(tx, cs.id, { pendingOnly: true });
    if (!items.length) throw new Conflict(`Changeset ${cs.id} was already reverted (by changeset ${cs.reverted_by.join(', ')}).`);
    const rows = new Map(
      (
        await loadScenarios(
          tx,
          orgId,
          items.map((i) => i.scenario_id),
        )
      ).map((r) => [r.id, r]),
    );
    const reason = `Reverted changeset ${cs.id}.`;
    const conflicts: RevertConflict[] = [];
    const entries: ChangesetEntry[] = [];
    const undone: number[] = [];
    const updates: Array<{ item: (typeof items)[number]; current: Row<'scenarios'>; merged: ScenarioFields }> = [];
    const out = { reverted: [] as number[], deleted: [] as number[], restored: [] as number[] };
    const lookups: ReferenceLookups = new Map();

    for (const item of items) {
      const current = rows.get(item.scenario_id) ?? null;
      const step = revertStep(item, current, input.force);
      const conflict = (reason: RevertConflictReason, message: string) =>
        conflicts.push({ scenario_id: item.scenario_id, reason, message, expected_revision: item.after_revision, current_revision: current?.revision ?? null });
      switch (step.kind) {
        case 'conflict':
          conflict(step.reason, step.message);
          break;
        case 'nothing':
          undone.push(item.id);
          break;
        case 'delete':
          await deleteScenario(tx, orgId, current!.id);
          entries.push({ before: current, after: null });
          out.deleted.push(item.scenario_id);
          undone.push(item.id);
          break;
        case 'recreate': {
          const row = await restoreScenario(
            tx,
            orgId,
            actor,
            { id: item.scenario_id, projectId: cs.project_id, fields: item.before!, revision: (item.before_revision ?? 0) + 1, reason },
            now,
          );
          entries.push({ before: null, after: row });
          out.restored.push(item.scenario_id);
          undone.push(item.id);
          break;
        }
        case 'restore_fields': {
          const back = Object.fromEntries(item.fields.map((f) => [f, item.before![f as keyof ScenarioFields]])) as Partial<ScenarioFields>;
          const merged = { ...scenarioFieldsOf(current!), ...back } as ScenarioFields;
          const set = diffScenarioFields(scenarioFieldsOf(current!), merged);
          const changedOnly = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v!.new])) as Partial<ScenarioFields>;
          // The earlier content may name what no longer exists (a deleted folder, tool or personality).
          const errors = await checkScenarioWrite(tx, orgId, current!.project_id, merged, changedOnly, undefined, lookups);
          if (!errors.empty) {
            conflict(
              'invalid',
              `Scenario ${item.scenario_id} cannot go back: ${Object.entries(errors.fields)
                .map(([f, m]) => `${f}: ${m.join(' ')}`)
                .join('; ')}`,
            );
            break;
          }
          updates.push({ item, current: current!, merged });
        }
      }
    }
    const written = await writeMergedMany(
      tx,
      actor,
      updates.map((u) => ({ current: u.current, merged: u.merged })),
      { now, changeType: 'revert', reason },
    );
    for (const [i, u] of updates.entries()) {
      entries.push({ before: u.current, after: written[i]! });
      out.reverted.push(u.item.scenario_id);
      undone.push(u.item.id);
    }
    const [revertId = null] = await recordChangeset(tx, { organizationId: orgId, kind: 'revert', actor, now, revertsId: cs.id, summary: reason }, entries);
    // Items with nothing left to write (a created scenario deleted since) are undone all the same.
    if (undone.length) await markItemsReverted(tx, undone, revertId ?? cs.id);
    const o = {
      changeset_id: cs.id,
      revert_changeset_id: revertId,
      reverted_scenario_ids: out.reverted,
      deleted_scenario_ids: out.deleted,
      restored_scenario_ids: out.restored,
      conflicts,
    };
    return { ...o, message: messageOf(o) };
  });
}

/** Narrows a list of changesets; a job is named by its progress_id, as clients know it. */
export interface ChangesetQuery {
  projectId?: number;
  sessionId?: number;
  scenarioId?: number;
  progressId?: string;
}

/** The organization's changesets, newest first. A progress_id of no job of the organization matches nothing. */
export async function findChangesets(db: Db, organizationId: number, q: ChangesetQuery, page: { offset: number; limit: number }) {
  let jobId: number | undefined;
  if (q.progressId !== undefined) {
    const job = await findJobByProgressId(db, organizationId, q.progressId);
    if (!job) return { count: 0, rows: [] };
    jobId = job.id;
  }
  return listChangesets(db, organizationId, { projectId: q.projectId, sessionId: q.sessionId, scenarioId: q.scenarioId, jobId }, page);
}

/** One changeset with a page of its scenarios, each named and diffed field by field. */
export async function showChangeset(db: Db, organizationId: number, id: number, page: { offset: number; limit: number }) {
  const changeset = await getChangeset(db, organizationId, id);
  const items = await changesetItems(db, id, page);
  return {
    changeset,
    items: items.map((i) => ({ ...i, scenario_name: (i.after ?? i.before)?.name ?? '', changes: itemChanges(i) })),
  };
}
