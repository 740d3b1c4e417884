import type { Executor } from './db.js';
import { deleteOwned, insertOwned, listOwned, updateOwned } from './owned-rows.js';
import { getOwned, projectOfWrite } from './ownership.js';
import type { Row } from './schema.js';

export interface TestProfileInput {
  project?: number | null;
  agent?: number | null;
  name: string;
  information?: Record<string, unknown>;
}

export interface TestProfileRecord {
  row: Row<'test_profiles'>;
  agentName: string;
  information: Record<string, unknown>;
  /** Ids of the scenarios that use the profile. */
  scenarioIds: number[];
}

async function withDetails(db: Executor, rows: Row<'test_profiles'>[]): Promise<TestProfileRecord[]> {
  const agentIds = [...new Set(rows.flatMap((r) => (r.agent_id === null ? [] : [r.agent_id])))];
  const ids = rows.map((r) => r.id);
  const [agents, scenarios] = await Promise.all([
    agentIds.length ? db.selectFrom('aiagents').select(['id', 'agent_name']).where('id', 'in', agentIds).execute() : [],
    ids.length ? db.selectFrom('scenarios').select(['id', 'test_profile_id']).where('test_profile_id', 'in', ids).orderBy('id').execute() : [],
  ]);
  return rows.map((row) => ({
    row,
    agentName: agents.find((a) => a.id === row.agent_id)?.agent_name ?? '',
    information: JSON.parse(row.information) as Record<string, unknown>,
    scenarioIds: scenarios.filter((s) => s.test_profile_id === row.id).map((s) => s.id),
  }));
}

export async function listTestProfiles(db: Executor, organizationId: number, filter: { agentId?: number; projectId?: number }): Promise<TestProfileRecord[]> {
  const { rows } = await listOwned(db, 'test_profiles', organizationId, { agent_id: filter.agentId, project_id: filter.projectId });
  return withDetails(db, rows);
}

export async function getTestProfile(db: Executor, organizationId: number, id: number): Promise<TestProfileRecord> {
  return (await withDetails(db, [await getOwned(db, 'test_profiles', organizationId, id)]))[0]!;
}

/** `keyId` is the API key making the write, recorded as its author. */
export async function createTestProfile(db: Executor, organizationId: number, keyId: number, input: TestProfileInput, now: string): Promise<TestProfileRecord> {
  const { projectId, agentId } = await projectOfWrite(db, organizationId, input, true);
  const row = await insertOwned(db, 'test_profiles', {
    organization_id: organizationId,
    project_id: projectId,
    agent_id: agentId,
    name: input.name,
    information: JSON.stringify(input.information ?? {}),
    created_by: keyId,
    last_updated_by: keyId,
    created_at: now,
    updated_at: now,
  });
  return getTestProfile(db, organizationId, row.id);
}

export async function updateTestProfile(
  db: Executor,
  organizationId: number,
  keyId: number,
  id: number,
  patch: Partial<TestProfileInput>,
  now: string,
): Promise<TestProfileRecord> {
  const current = await getOwned(db, 'test_profiles', organizationId, id);
  let refs: { projectId: number | null; agentId: number | null } | null = null;
  if (patch.project !== undefined || patch.agent !== undefined) {
    const agent = patch.agent === undefined ? current.agent_id : patch.agent;
    // A new agent without a project brings its own project, as on create.
    const project = patch.project !== undefined ? patch.project : patch.agent != null ? null : current.project_id;
    refs = await projectOfWrite(db, organizationId, { project, agent }, true);
  }
  await updateOwned(db, 'test_profiles', organizationId, id, {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    // `information` is replaced as a whole, as the reference does: a merge could never remove a key.
    ...(patch.information !== undefined ? { information: JSON.stringify(patch.information) } : {}),
    ...(refs ? { project_id: refs.projectId, agent_id: refs.agentId } : {}),
    last_updated_by: keyId,
    updated_at: now,
  });
  return getTestProfile(db, organizationId, id);
}

/** Scenarios that used the profile keep running without one. */
export function deleteTestProfile(db: Executor, organizationId: number, id: number): Promise<void> {
  return deleteOwned(db, 'test_profiles', organizationId, id);
}
