import { FieldErrorCollector, ValidationError } from '../domain/errors.js';
import type { ScenarioCreate, ScenarioPatch } from '../domain/scenario.js';
import { recordChangeset } from '../store/changesets.js';
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

/** Restores what a revision recorded (by its number, or by its row id as history names it), as a new revision. */
export function revertToRevision(
  ctx: ServiceContext,
  caller: Caller,
  scenarioId: number,
  target: { revision?: number; revisionId?: number },
): Promise<Row<'scenarios'>> {
  return ctx.store.db.transaction().execute((tx) => revertScenario(tx, caller.organizationId, actorOf(caller), scenarioId, target, nowOf(ctx)));
}
