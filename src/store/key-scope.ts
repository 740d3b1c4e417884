import type { Executor } from './db.js';

/** Tables whose rows a path id or a body reference can name, each with the project it belongs to. */
export type ScopedTable = 'projects' | 'aiagents' | 'scenarios' | 'test_profiles' | 'metrics' | 'knowledge_base_files' | 'sessions' | 'personalities' | 'jobs';

/**
 * The projects the given rows of the organization belong to (null for organization-wide rows such
 * as predefined personalities). Rows that do not exist are left out: they answer 404 anyway.
 */
export async function projectsOfRows(db: Executor, organizationId: number, table: ScopedTable, ids: number[]): Promise<Array<number | null>> {
  if (!ids.length) return [];
  if (table === 'projects') return ids;
  const rows = await (db as Executor)
    .selectFrom(table as 'scenarios')
    .select('project_id')
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => r.project_id as number | null);
}

/** The project of a job, by its progress id. */
export async function projectOfJob(db: Executor, organizationId: number, progressId: string): Promise<number | null | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select('project_id')
    .where('organization_id', '=', organizationId)
    .where('progress_id', '=', progressId)
    .executeTakeFirst();
  return row?.project_id;
}
