import { ValidationError } from '../domain/errors.js';
import type { Executor } from './db.js';
import { idsPerRead } from './set-writes.js';

export type Selector = number[] | number | 'all';

/** Id, project and agent of the given scenario ids that belong to the organization. */
export async function scenarioRefs(
  db: Executor,
  organizationId: number,
  ids: number[],
): Promise<Array<{ id: number; project_id: number; agent_id: number | null }>> {
  const out: Array<{ id: number; project_id: number; agent_id: number | null }> = [];
  const unique = [...new Set(ids)];
  // Thousands of ids (an apply's) are read in a few statements: on PostgreSQL each is a round trip.
  const chunk = idsPerRead(db);
  for (let i = 0; i < unique.length; i += chunk) {
    const part = unique.slice(i, i + chunk);
    out.push(
      ...(await db
        .selectFrom('scenarios')
        .select(['id', 'project_id', 'agent_id'])
        .where('organization_id', '=', organizationId)
        .where('id', 'in', part)
        .execute()),
    );
  }
  return out;
}

/** The first `n` scenarios of a project by id, as a session's "first N" selection takes them. */
export async function firstScenarioIds(db: Executor, organizationId: number, projectId: number, n: number): Promise<number[]> {
  if (n === 0) return [];
  const rows = await db
    .selectFrom('scenarios')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .orderBy('id')
    .limit(n)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Turns a `scenarios` selector (ids, one id, or "all") into concrete ids of one project, checking
 * that every id is the organization's. `field` names the body field in errors.
 */
export async function resolveScenarioSelection(
  db: Executor,
  organizationId: number,
  selector: Selector,
  scope: { agentId: number | null; projectId: number | null },
  field = 'scenarios',
): Promise<{ ids: number[]; projectId: number | null }> {
  if (selector === 'all') {
    if (!scope.agentId && !scope.projectId) throw ValidationError.field(field, '"all" needs agent_id or project_id to say whose scenarios.');
    let q = db.selectFrom('scenarios').select('id').where('organization_id', '=', organizationId);
    q = scope.agentId ? q.where('agent_id', '=', scope.agentId) : q.where('project_id', '=', scope.projectId!);
    const rows = await q.orderBy('id').execute();
    return { ids: rows.map((r) => r.id), projectId: scope.projectId };
  }
  const ids = [...new Set(typeof selector === 'number' ? [selector] : selector)];
  const found = await scenarioRefs(db, organizationId, ids);
  const known = new Set(found.map((r) => r.id));
  const missing = ids.filter((i) => !known.has(i));
  if (missing.length) {
    const shown = missing.slice(0, 20).map((i) => `Invalid pk "${i}" - object does not exist.`);
    if (missing.length > 20) shown.push(`…and ${missing.length - 20} more.`);
    throw new ValidationError({ [field]: shown });
  }
  const projects = new Set(found.map((r) => r.project_id));
  if (projects.size > 1) throw ValidationError.field(field, 'All scenarios of one request must belong to the same project.');
  const projectId = found[0]?.project_id ?? scope.projectId;
  if (scope.projectId && projectId !== scope.projectId) throw ValidationError.field(field, `These scenarios do not belong to project ${scope.projectId}.`);
  return { ids, projectId };
}
