import { yieldToEventLoop } from '../domain/event-loop.js';
import type { Executor } from './db.js';
import { idsPerRead } from './set-writes.js';

/** One revision written after the one a suggestion was based on: where it came from and what it changed. */
export interface LaterRevision {
  scenarioId: number;
  revision: number;
  /** The job whose suggestions it applied (see migrations/115_revision_source.ts); null for any other write. */
  source: string | null;
  fields: string[];
}

/**
 * Every revision of each scenario written after the revision given for it, as many scenarios per
 * query as a read of ids takes (idsPerRead: a part of an apply in one), the (scenario_id, revision)
 * index answering each; so checking 10,000 suggestions is a few queries and none per scenario.
 */
export async function revisionsAfter(db: Executor, organizationId: number, after: ReadonlyMap<number, number>): Promise<LaterRevision[]> {
  const ids = [...after.keys()];
  const out: LaterRevision[] = [];
  const perRead = idsPerRead(db);
  for (let i = 0; i < ids.length; i += perRead) {
    if (i) await yieldToEventLoop();
    const part = ids.slice(i, i + perRead);
    // One lower bound per query; each scenario's own is applied below.
    const from = Math.min(...part.map((id) => after.get(id)!));
    const rows = await db
      .selectFrom('scenario_revisions')
      .select(['scenario_id', 'revision', 'source_progress_id', 'changed_fields'])
      .where('organization_id', '=', organizationId)
      .where('scenario_id', 'in', part)
      .where('revision', '>', from)
      .execute();
    for (const r of rows) {
      if (r.revision <= after.get(r.scenario_id)!) continue;
      out.push({ scenarioId: r.scenario_id, revision: r.revision, source: r.source_progress_id, fields: Object.keys(JSON.parse(r.changed_fields)) });
    }
  }
  return out;
}

/** Per scenario, the fields revisions applying the job `source` (its progress_id) changed, as many scenarios per query as idsPerRead takes. */
export async function fieldsAppliedFrom(
  db: Executor,
  organizationId: number,
  source: string,
  scenarioIds: readonly number[],
): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  const ids = [...new Set(scenarioIds)];
  const perRead = idsPerRead(db);
  for (let i = 0; i < ids.length; i += perRead) {
    if (i) await yieldToEventLoop();
    const rows = await db
      .selectFrom('scenario_revisions')
      .select(['scenario_id', 'changed_fields'])
      .where('organization_id', '=', organizationId)
      .where('scenario_id', 'in', ids.slice(i, i + perRead))
      .where('source_progress_id', '=', source)
      .execute();
    for (const r of rows) {
      const fields = out.get(r.scenario_id) ?? new Set<string>();
      for (const f of Object.keys(JSON.parse(r.changed_fields))) fields.add(f);
      out.set(r.scenario_id, fields);
    }
  }
  return out;
}
