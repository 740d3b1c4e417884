import { ValidationError } from '../domain/errors.js';
import type { Executor } from './db.js';
import { deleteOwned, insertOwned, listOwned, mergeDocumented, updateOwned } from './owned-rows.js';
import { getOwned, projectOfWrite } from './ownership.js';
import type { Row } from './schema.js';
import { containsText } from './text-search.js';

export interface MetricInput {
  project?: number | null;
  agent?: number | null;
  name: string;
  description?: string;
  /** Documented fields kept without behaviour; merged into what is kept on update. */
  documented?: Record<string, unknown>;
}

export async function listMetrics(db: Executor, organizationId: number, filter: { projectId?: number; agentId?: number }): Promise<Row<'metrics'>[]> {
  return (await listOwned(db, 'metrics', organizationId, { project_id: filter.projectId, agent_id: filter.agentId })).rows;
}

export function getMetric(db: Executor, organizationId: number, id: number): Promise<Row<'metrics'>> {
  return getOwned(db, 'metrics', organizationId, id);
}

export async function createMetric(db: Executor, organizationId: number, input: MetricInput, now: string): Promise<Row<'metrics'>> {
  const { projectId, agentId } = await projectOfWrite(db, organizationId, input, true);
  return insertOwned(db, 'metrics', {
    organization_id: organizationId,
    project_id: projectId,
    agent_id: agentId,
    name: input.name,
    description: input.description ?? '',
    documented: JSON.stringify(input.documented ?? {}),
    created_at: now,
    updated_at: now,
  });
}

export async function updateMetric(db: Executor, organizationId: number, id: number, patch: Partial<MetricInput>, now: string): Promise<Row<'metrics'>> {
  const current = await getMetric(db, organizationId, id);
  let refs: { projectId: number | null; agentId: number | null } | null = null;
  if (patch.project !== undefined || patch.agent !== undefined) {
    const agent = patch.agent === undefined ? current.agent_id : patch.agent;
    const project = patch.project !== undefined ? patch.project : patch.agent != null ? null : current.project_id;
    refs = await projectOfWrite(db, organizationId, { project, agent }, true);
  }
  return updateOwned(db, 'metrics', organizationId, id, {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(refs ? { project_id: refs.projectId, agent_id: refs.agentId } : {}),
    ...(patch.documented ? { documented: mergeDocumented(current.documented, patch.documented) } : {}),
    updated_at: now,
  });
}

/**
 * Refuses while scenarios list the metric: they would keep an id that no longer exists, and a
 * later write or revert of their metrics would then be rejected.
 */
export async function deleteMetric(db: Executor, organizationId: number, id: number): Promise<void> {
  await getMetric(db, organizationId, id);
  // The text match narrows the rows ("5" is also in 15); the parsed list decides.
  const candidates = await db
    .selectFrom('scenarios')
    .select('metrics')
    .where('organization_id', '=', organizationId)
    .where(containsText('metrics', String(id)))
    .execute();
  const used = candidates.filter((c) => (JSON.parse(c.metrics) as number[]).includes(id)).length;
  if (used > 0)
    throw ValidationError.field(
      'non_field_errors',
      `${used} scenario${used === 1 ? '' : 's'} use${used === 1 ? 's' : ''} this metric; remove it from ${used === 1 ? 'it' : 'them'} first.`,
    );
  await deleteOwned(db, 'metrics', organizationId, id);
}
