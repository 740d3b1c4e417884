import { ValidationError } from '../domain/errors.js';
import { NAME_MAX, type ScenarioCreate } from '../domain/scenario.js';
import { type ChangesetEntry, recordChangeset } from '../store/changesets.js';
import { ensureFolderPath } from '../store/folders.js';
import { getProject } from '../store/projects.js';
import { createScenario, listScenarios, loadScenarios, scenarioFieldsOf, updateScenario } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import { actorOf, type Caller, nowOf, type ServiceContext } from './context.js';

/** Copying scenarios (within a project or to another) and tagging them in bulk, each in one transaction. */

const missingPks = (ids: number[], found: Row<'scenarios'>[]) => {
  const known = new Set(found.map((r) => r.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) throw new ValidationError({ scenarios: missing.slice(0, 20).map((id) => `Invalid pk "${id}" - object does not exist.`) });
};

export interface DuplicateInput {
  project: number;
  copy_to_project: number;
  scenarios: number[];
  scenario_agent?: number;
  folder_path?: string;
}

/**
 * Copies scenarios, named "Copy of <name>": all of them or none. A copy in the same project keeps
 * its metrics and test profile; a copy in another project keeps neither.
 */
export async function duplicateScenarios(ctx: ServiceContext, caller: Caller, b: DuplicateInput): Promise<Row<'scenarios'>[]> {
  const { db } = ctx.store;
  const now = () => nowOf(ctx);
  for (const [field, id] of [
    ['project', b.project],
    ['copy_to_project', b.copy_to_project],
  ] as const) {
    await getProject(db, caller.organizationId, id).catch(() => {
      throw ValidationError.field(field, `Invalid pk "${id}" - object does not exist.`);
    });
  }
  const sameProject = b.project === b.copy_to_project;
  return db.transaction().execute(async (tx) => {
    const originals = (await loadScenarios(tx, caller.organizationId, b.scenarios)).filter((r) => r.project_id === b.project);
    missingPks(b.scenarios, originals);
    if (b.folder_path) await ensureFolderPath(tx, caller.organizationId, b.copy_to_project, b.folder_path, now());
    const copies: Row<'scenarios'>[] = [];
    for (const original of originals) {
      // The stored fields were valid when written; the create checks them again for the destination.
      const f = scenarioFieldsOf(original) as ScenarioCreate & ReturnType<typeof scenarioFieldsOf>;
      copies.push(
        await createScenario(
          tx,
          caller.organizationId,
          actorOf(caller),
          {
            ...f,
            name: `Copy of ${f.name}`.slice(0, NAME_MAX),
            project: b.copy_to_project,
            agent: b.scenario_agent ?? (sameProject ? f.agent : null),
            metrics: sameProject ? f.metrics : [],
            test_profile: sameProject ? f.test_profile : null,
            folder_path: b.folder_path !== undefined ? b.folder_path || null : sameProject ? f.folder_path : null,
          },
          now(),
        ),
      );
    }
    await recordChangeset(
      tx,
      { organizationId: caller.organizationId, kind: 'bulk_create', actor: actorOf(caller), now: now(), summary: 'Copies.' },
      copies.map((r) => ({ before: null, after: r })),
    );
    return copies;
  });
}

/** Adds tags to every scenario given (tags they already have are kept once); answers the tags, how many scenarios changed, and every scenario named as it now is. */
export async function addTagsToScenarios(
  ctx: ServiceContext,
  caller: Caller,
  input: { scenarios: number[]; tags: string[] },
): Promise<{ tags: string[]; updated_count: number; scenarios: Row<'scenarios'>[] }> {
  const now = () => nowOf(ctx);
  const wanted = [...new Set(input.tags)];
  return ctx.store.db.transaction().execute(async (tx) => {
    const rows = await loadScenarios(tx, caller.organizationId, input.scenarios);
    missingPks(input.scenarios, rows);
    const entries: ChangesetEntry[] = [];
    const scenarios: Row<'scenarios'>[] = [];
    for (const row of rows) {
      const current = scenarioFieldsOf(row).tags;
      const next = [...new Set([...current, ...wanted])];
      if (next.length === current.length) {
        scenarios.push(row);
        continue;
      }
      const after = await updateScenario(tx, caller.organizationId, actorOf(caller), row.id, { tags: next }, { now: now(), changeType: 'bulk_update' });
      entries.push({ before: row, after });
      scenarios.push(after);
    }
    await recordChangeset(
      tx,
      { organizationId: caller.organizationId, kind: 'tags', actor: actorOf(caller), now: now(), summary: `Tags added: ${wanted.join(', ')}.` },
      entries,
    );
    return { tags: wanted, updated_count: entries.length, scenarios };
  });
}

/** Every tag used by the scenarios of a project or agent (or the whole organization), sorted. */
export async function scenarioTagsInScope(ctx: ServiceContext, caller: Caller, scope: { projectId?: number; agentId?: number }): Promise<string[]> {
  const found = new Set<string>();
  const pageSize = 1000;
  for (let offset = 0; ; offset += pageSize) {
    const { rows } = await listScenarios(ctx.store.db, caller.organizationId, scope, { offset, limit: pageSize });
    for (const r of rows) for (const t of scenarioFieldsOf(r).tags) found.add(t);
    if (rows.length < pageSize) break;
  }
  return [...found].sort();
}
