import { FieldErrorCollector, ValidationError } from '../domain/errors.js';
import type { ScenarioCreate, ScenarioPatch } from '../domain/scenario.js';
import { type ChangesetEntry, recordChangeset } from '../store/changesets.js';
import { getProject } from '../store/projects.js';
import { createScenario, deleteScenario, deleteScenarios, loadScenarios, revertScenario, scenarioFieldsOf, updateScenario } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import { actorOf, type Caller, nowOf, type ServiceContext } from './context.js';

/** Scenario writes a user makes directly; each is one transaction that writes all of it or nothing. */

export function createOneScenario(ctx: ServiceContext, caller: Caller, input: ScenarioCreate): Promise<Row<'scenarios'>> {
  return ctx.store.db.transaction().execute((tx) => createScenario(tx, caller.organizationId, actorOf(caller), input, nowOf(ctx)));
}

export function updateOneScenario(ctx: ServiceContext, caller: Caller, id: number, patch: ScenarioPatch): Promise<Row<'scenarios'>> {
  return ctx.store.db.transaction().execute((tx) => updateScenario(tx, caller.organizationId, actorOf(caller), id, patch, { now: nowOf(ctx) }));
}

export function deleteOneScenario(ctx: ServiceContext, caller: Caller, id: number): Promise<void> {
  return ctx.store.db.transaction().execute((tx) => deleteScenario(tx, caller.organizationId, id));
}

/** Creates many scenarios: all of them, or none with every problem reported by its index. */
export function bulkCreateScenarios(ctx: ServiceContext, caller: Caller, items: ScenarioCreate[]): Promise<Row<'scenarios'>[]> {
  return ctx.store.db.transaction().execute(async (tx) => {
    const created: Row<'scenarios'>[] = [];
    const errors = new FieldErrorCollector();
    for (const [i, item] of items.entries()) {
      try {
        created.push(await createScenario(tx, caller.organizationId, actorOf(caller), item, nowOf(ctx)));
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        for (const [field, messages] of Object.entries(e.fields)) for (const m of messages) errors.add('scenarios', `${i}.${field}: ${m}`);
      }
    }
    errors.throwIfAny();
    await recordChangeset(
      tx,
      { organizationId: caller.organizationId, kind: 'bulk_create', actor: actorOf(caller), now: nowOf(ctx) },
      created.map((r) => ({ before: null, after: r })),
    );
    return created;
  });
}

/** The reference's adv_update: one change applied to many scenarios. */
export interface BulkUpdateInput {
  scenarios: number[];
  agent?: number | null;
  project?: number | null;
  metric_ids_to_add?: number[];
  metric_ids_to_remove?: number[];
  tool_ids_to_add?: string[];
  tool_ids_to_remove?: string[];
  personality?: ScenarioPatch['personality'];
  test_profile?: ScenarioPatch['test_profile'];
  append_instruction?: string;
  first_message?: ScenarioPatch['first_message'];
  folder_path?: ScenarioPatch['folder_path'];
  max_duration?: ScenarioPatch['max_duration'];
}

/** Applies the same change to many scenarios in one transaction: every one of them, or none. */
export async function bulkUpdateScenarios(ctx: ServiceContext, caller: Caller, b: BulkUpdateInput): Promise<Row<'scenarios'>[]> {
  if (b.agent === undefined && b.project === undefined) throw ValidationError.field('non_field_errors', 'Either agent or project is required.');
  return ctx.store.db.transaction().execute(async (tx) => {
    const current = await loadScenarios(tx, caller.organizationId, b.scenarios);
    const known = new Set(current.map((r) => r.id));
    const missing = b.scenarios.filter((id) => !known.has(id));
    if (missing.length) throw new ValidationError({ scenarios: missing.slice(0, 20).map((id) => `Invalid pk "${id}" - object does not exist.`) });
    const out: Row<'scenarios'>[] = [];
    const errors = new FieldErrorCollector();
    for (const row of current) {
      if (b.project != null && row.project_id !== b.project) {
        errors.add('scenarios', `${row.id}: belongs to project ${row.project_id}, not ${b.project}.`);
        continue;
      }
      const f = scenarioFieldsOf(row);
      const patch: ScenarioPatch = {};
      if (b.agent !== undefined) patch.agent = b.agent;
      if (b.personality !== undefined) patch.personality = b.personality;
      if (b.test_profile !== undefined) patch.test_profile = b.test_profile;
      if (b.first_message !== undefined) patch.first_message = b.first_message;
      if (b.folder_path !== undefined) patch.folder_path = b.folder_path;
      if (b.max_duration !== undefined) patch.max_duration = b.max_duration;
      if (b.append_instruction) patch.instructions = f.instructions ? `${f.instructions}\n${b.append_instruction}` : b.append_instruction;
      if (b.tool_ids_to_add || b.tool_ids_to_remove) {
        const drop = new Set(b.tool_ids_to_remove ?? []);
        patch.tool_ids = [...new Set([...f.tool_ids, ...(b.tool_ids_to_add ?? [])])].filter((t) => !drop.has(t));
      }
      if (b.metric_ids_to_add || b.metric_ids_to_remove) {
        const drop = new Set(b.metric_ids_to_remove ?? []);
        patch.metrics = [...new Set([...f.metrics, ...(b.metric_ids_to_add ?? [])])].filter((m) => !drop.has(m));
      }
      try {
        out.push(await updateScenario(tx, caller.organizationId, actorOf(caller), row.id, patch, { now: nowOf(ctx), changeType: 'bulk_update' }));
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        for (const [field, messages] of Object.entries(e.fields)) for (const m of messages) errors.add(field, `scenario ${row.id}: ${m}`);
      }
    }
    errors.throwIfAny();
    const byId = new Map(current.map((r) => [r.id, r]));
    await recordChangeset(
      tx,
      { organizationId: caller.organizationId, kind: 'bulk_update', actor: actorOf(caller), now: nowOf(ctx) },
      out.map((r) => ({ before: byId.get(r.id)!, after: r })),
    );
    return out;
  });
}

/** Deletes many scenarios of one agent or project; an id outside that scope fails the whole request. */
export async function bulkDeleteScenarios(
  ctx: ServiceContext,
  caller: Caller,
  input: { scenarios: number[]; agent_id?: number; project_id?: number },
): Promise<void> {
  if (input.agent_id === undefined && input.project_id === undefined) {
    throw ValidationError.field('non_field_errors', 'Either agent_id or project_id is required.');
  }
  await ctx.store.db.transaction().execute(async (tx) => {
    const rows = await loadScenarios(tx, caller.organizationId, input.scenarios);
    const inScope = rows.filter(
      (r) => (input.project_id === undefined || r.project_id === input.project_id) && (input.agent_id === undefined || r.agent_id === input.agent_id),
    );
    const known = new Set(inScope.map((r) => r.id));
    const missing = input.scenarios.filter((id) => !known.has(id));
    if (missing.length) throw new ValidationError({ scenarios: missing.slice(0, 20).map((id) => `Invalid pk "${id}" - object does not exist.`) });
    await deleteScenarios(tx, caller.organizationId, [...known]);
  });
}

/** What `scenarios import` writes to one project: scenarios to create, to update by id, and to delete. */
export interface ImportInput {
  projectId: number;
  create: ScenarioCreate[];
  update: Array<{ id: number; patch: ScenarioPatch }>;
  delete: number[];
}

export interface ImportOutcome {
  /** The changeset that undoes the whole import; null when it changed nothing. */
  changesetId: number | null;
  created: Row<'scenarios'>[];
  updated: Row<'scenarios'>[];
  deleted: number[];
}

/**
 * Writes files' scenarios to a project in one transaction recorded as one changeset, so the whole
 * import is listed, shown and reverted as one (its created scenarios deleted, its deleted ones
 * restored). Every problem is reported by list and index; then nothing is written.
 */
export async function importScenarios(ctx: ServiceContext, caller: Caller, input: ImportInput): Promise<ImportOutcome> {
  const errors = new FieldErrorCollector();
  // The existing scenarios the import names, by the list naming each: one list per scenario.
  const named = [
    ['update', input.update.map((u) => u.id)],
    ['delete', input.delete],
  ] as const;
  const seen = new Map<number, string>();
  for (const [list, ids] of named) {
    for (const [i, id] of ids.entries()) {
      const earlier = seen.get(id);
      if (earlier) errors.add(list, `${i}: scenario ${id} is already in ${earlier}; name each scenario once.`);
      else seen.set(id, list);
    }
  }
  errors.throwIfAny();
  const actor = actorOf(caller);
  const now = nowOf(ctx);
  return ctx.store.db.transaction().execute(async (tx) => {
    await getProject(tx, caller.organizationId, input.projectId).catch(() => {
      throw ValidationError.field('project_id', `Invalid pk "${input.projectId}" - object does not exist.`);
    });
    const current = new Map((await loadScenarios(tx, caller.organizationId, [...seen.keys()])).map((r) => [r.id, r]));
    for (const [list, ids] of named) {
      for (const [i, id] of ids.entries()) {
        const row = current.get(id);
        if (!row) errors.add(list, `${i}: Invalid pk "${id}" - object does not exist.`);
        else if (row.project_id !== input.projectId) errors.add(list, `${i}: scenario ${id} belongs to project ${row.project_id}, not ${input.projectId}.`);
      }
    }
    errors.throwIfAny();
    const collect = (list: string, i: number, e: unknown) => {
      if (!(e instanceof ValidationError)) throw e;
      for (const [field, messages] of Object.entries(e.fields)) for (const m of messages) errors.add(list, `${i}.${field}: ${m}`);
    };
    const entries: ChangesetEntry[] = [];
    const created: Row<'scenarios'>[] = [];
    for (const [i, item] of input.create.entries()) {
      try {
        const row = await createScenario(tx, caller.organizationId, actor, { ...item, project: input.projectId }, now);
        created.push(row);
        entries.push({ before: null, after: row });
      } catch (e) {
        collect('create', i, e);
      }
    }
    const updated: Row<'scenarios'>[] = [];
    for (const [i, { id, patch }] of input.update.entries()) {
      try {
        const row = await updateScenario(tx, caller.organizationId, actor, id, patch, { now, changeType: 'import' });
        updated.push(row);
        entries.push({ before: current.get(id)!, after: row });
      } catch (e) {
        collect('update', i, e);
      }
    }
    errors.throwIfAny();
    await deleteScenarios(tx, caller.organizationId, input.delete);
    for (const id of input.delete) entries.push({ before: current.get(id)!, after: null });
    const summary = `Imported: ${created.length} created, ${updated.length} updated, ${input.delete.length} deleted.`;
    const [changesetId] = await recordChangeset(tx, { organizationId: caller.organizationId, kind: 'import', actor, now, summary }, entries);
    return { changesetId: changesetId ?? null, created, updated, deleted: input.delete };
  });
}

/** Restores what a revision recorded (by its number, or by its row id as history names it), as a new revision. */
export function revertToRevision(
  ctx: ServiceContext,
  caller: Caller,
  scenarioId: number,
  target: { revision?: number; revisionId?: number },
): Promise<Row<'scenarios'>> {
  return ctx.store.db.transaction().execute((tx) => revertScenario(tx, caller.organizationId, actorOf(caller), scenarioId, target, nowOf(ctx)));
}
