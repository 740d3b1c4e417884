import type { Executor } from './db.js';

/** One job's usage as stored with it: tokens, calls, and the cost at the price of the day. */
export interface JobUsageRow {
  progress_id: string;
  kind: string;
  status: string;
  created_at: string;
  usage: string;
}

/** The project's jobs created in [from, to) (ISO times), oldest first, with their stored usage. */
export function projectJobUsage(db: Executor, organizationId: number, projectId: number, from: string, to: string): Promise<JobUsageRow[]> {
  return db
    .selectFrom('jobs')
    .select(['progress_id', 'kind', 'status', 'created_at', 'usage'])
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** What the project's other jobs of the month spent, in USD, as recorded when each ended. */
export async function monthSpent(db: Executor, organizationId: number, projectId: number, from: string, to: string, exceptJobId: number): Promise<number> {
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'usage'])
    .where('organization_id', '=', organizationId)
    .where('project_id', '=', projectId)
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .where('id', '!=', exceptJobId)
    .execute();
  // Usage is a JSON text column in both dialects: summed here rather than in dialect-specific SQL.
  return rows.reduce((sum, r) => sum + (Number((JSON.parse(r.usage) as { cost_usd?: unknown }).cost_usd) || 0), 0);
}
