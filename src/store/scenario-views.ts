import type { Executor } from './db.js';
import { scenarioFieldsOf } from './scenarios.js';
import type { Row } from './schema.js';

const CHUNK = 500;

async function byIds<T extends { id: number }>(ids: number[], load: (part: number[]) => Promise<T[]>): Promise<Map<number, T>> {
  const out = new Map<number, T>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) for (const r of await load(unique.slice(i, i + CHUNK))) out.set(r.id, r);
  return out;
}

/**
 * Scenario rows as the API's Scenario object, with the names of what they reference. One query per
 * referenced table for the whole page, not one per row.
 */
export async function scenarioViews(db: Executor, organizationId: number, rows: Row<'scenarios'>[]) {
  const fields = rows.map(scenarioFieldsOf);
  const [personalities, agents, profiles, metrics] = await Promise.all([
    byIds(
      rows.map((r) => r.personality_id),
      (part) => db.selectFrom('personalities').select(['id', 'name']).where('organization_id', '=', organizationId).where('id', 'in', part).execute(),
    ),
    byIds(
      rows.flatMap((r) => (r.agent_id === null ? [] : [r.agent_id])),
      (part) => db.selectFrom('aiagents').select(['id', 'agent_name']).where('organization_id', '=', organizationId).where('id', 'in', part).execute(),
    ),
    byIds(
      rows.flatMap((r) => (r.test_profile_id === null ? [] : [r.test_profile_id])),
      (part) => db.selectFrom('test_profiles').selectAll().where('organization_id', '=', organizationId).where('id', 'in', part).execute(),
    ),
    byIds(
      fields.flatMap((f) => f.metrics),
      (part) => db.selectFrom('metrics').select(['id', 'name']).where('organization_id', '=', organizationId).where('id', 'in', part).execute(),
    ),
  ]);
  const profileAgents = await byIds(
    [...profiles.values()].flatMap((p) => (p.agent_id === null ? [] : [p.agent_id])),
    (part) => db.selectFrom('aiagents').select(['id', 'agent_name']).where('organization_id', '=', organizationId).where('id', 'in', part).execute(),
  );
  return rows.map((r, i) => {
    const f = fields[i]!;
    const profile = r.test_profile_id === null ? undefined : profiles.get(r.test_profile_id);
    return {
      id: r.id,
      ...f,
      project: r.project_id,
      personality_name: personalities.get(r.personality_id)?.name ?? '',
      agent_name: r.agent_id === null ? '' : (agents.get(r.agent_id)?.agent_name ?? ''),
      metric_names: f.metrics.flatMap((m) => metrics.get(m)?.name ?? []),
      phone_number: '',
      outbound_phone_number_data: null,
      inbound_phone_number_data: null,
      test_profile_data: profile
        ? {
            id: profile.id,
            project: profile.project_id,
            agent: profile.agent_id,
            agent_name: profile.agent_id === null ? '' : (profileAgents.get(profile.agent_id)?.agent_name ?? ''),
            name: profile.name,
            information: JSON.parse(profile.information) as Record<string, unknown>,
            created_by: profile.created_by,
            last_updated_by: profile.last_updated_by,
            created_at: profile.created_at,
            updated_at: profile.updated_at,
          }
        : null,
      dynamic_variable_values: r.dynamic_variable_values === null ? null : (JSON.parse(r.dynamic_variable_values) as unknown),
      revision: r.revision,
      created_by: r.created_by,
      last_updated_by: r.last_updated_by,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  });
}

export async function scenarioView(db: Executor, organizationId: number, row: Row<'scenarios'>) {
  return (await scenarioViews(db, organizationId, [row]))[0]!;
}
