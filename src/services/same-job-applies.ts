import { normalizedValue, type ScenarioFields, sameValue } from '../domain/scenario.js';
import type { ProposedChange, Suggestion, UpdatedScenario } from '../domain/suggestion.js';
import type { Tx } from '../store/db.js';
import { fieldsAppliedFrom, type LaterRevision, revisionsAfter } from '../store/revisions-since.js';
import type { Row } from '../store/schema.js';

/**
 * A job's suggestions are often applied in parts: the instructions today, the tags tomorrow. The
 * first apply moves each scenario past the revision the suggestions were based on, yet nothing
 * anyone else did stands in the way of the second. This module tells that case from a real
 * conflict: a scenario moved on only by applies of the same job's suggestions, each touching only
 * fields the new apply does not change (or leaves as they are), takes the new apply.
 */

/** What a suggestion based on an older revision comes to. */
export type StaleVerdict = 'in_effect' | 'write' | 'conflict';

/**
 * `sameJobFields`: the fields the revisions since the suggestion's base changed, when every one of
 * them was an apply of this suggestion's own job; absent when anything else wrote the scenario.
 */
export function staleVerdict(changes: readonly ProposedChange[], current: ScenarioFields, sameJobFields: ReadonlySet<string> | undefined): StaleVerdict {
  const held = (c: ProposedChange) => sameValue(current[c.field], normalizedValue(c.field, c.value));
  // The scenario holds every value already (an apply sent twice): nothing to write, nothing in conflict.
  if (changes.every(held)) return 'in_effect';
  if (!sameJobFields) return 'conflict';
  // A field the earlier apply wrote is written again only with the value it holds; any other value would overwrite that apply.
  return changes.some((c) => sameJobFields.has(c.field) && !held(c)) ? 'conflict' : 'write';
}

/**
 * For each suggestion whose scenario is past the revision it was based on, the fields changed
 * since, when every revision since was an apply of the job `source` (its progress_id). Scenarios
 * anyone else wrote since (an edit, a revert, another job's apply, a delete and restore that took
 * the history) are left out. Read set-wise: a few queries for 10,000 suggestions, or none when the
 * caller read them with the rows (`later`, from revisionsSinceBases).
 */
export async function fieldsAppliedSinceBySameJob(
  tx: Tx,
  organizationId: number,
  source: string | undefined,
  suggestions: readonly Suggestion[],
  rows: ReadonlyMap<number, Row<'scenarios'>>,
  later?: readonly LaterRevision[],
): Promise<Map<number, ReadonlySet<string>>> {
  const out = new Map<number, ReadonlySet<string>>();
  if (source === undefined) return out;
  const after = new Map<number, number>();
  for (const s of suggestions) {
    const row = rows.get(s.scenario_id);
    if (row && s.based_on_revision !== null && row.revision > s.based_on_revision) after.set(s.scenario_id, s.based_on_revision);
  }
  if (!after.size) return out;
  const seen = new Map<number, { count: number; fields: Set<string>; foreign: boolean }>();
  for (const r of later ?? (await revisionsAfter(tx, organizationId, after))) {
    // Read for every suggestion: only those of scenarios moved on count.
    if (!after.has(r.scenarioId)) continue;
    const s = seen.get(r.scenarioId) ?? { count: 0, fields: new Set<string>(), foreign: false };
    s.count++;
    if (r.source !== source) s.foreign = true;
    for (const f of r.fields) s.fields.add(f);
    seen.set(r.scenarioId, s);
  }
  for (const [id, s] of seen) {
    // Every revision since must be there: a history with a gap cannot say who wrote the missing one.
    if (!s.foreign && s.count === rows.get(id)!.revision - after.get(id)!) out.set(id, s.fields);
  }
  return out;
}

/**
 * The revisions written since each suggestion's base, read without the scenarios' rows: a caller
 * can read them beside the rows, before writes of its own (on PostgreSQL a read sent after them
 * waits for them on the transaction's connection). Nothing when no job is named.
 */
export function revisionsSinceBases(tx: Tx, organizationId: number, source: string | undefined, suggestions: readonly Suggestion[]): Promise<LaterRevision[]> {
  if (source === undefined) return Promise.resolve([]);
  const after = new Map<number, number>();
  for (const s of suggestions) if (s.based_on_revision !== null) after.set(s.scenario_id, s.based_on_revision);
  return revisionsAfter(tx, organizationId, after);
}

/**
 * The change keys (`12:tags`, as changeKeys gives them) of the job's suggestions outside this apply
 * that an earlier apply of the same job wrote, corrected or not: they count as applied when the
 * job's review state is worked out.
 */
export async function keysAppliedBefore(
  tx: Tx,
  organizationId: number,
  source: string,
  items: readonly UpdatedScenario[],
  sent: ReadonlySet<string>,
): Promise<string[]> {
  const rest = items.filter((u) => typeof u.id === 'number' && Object.keys(u.changes ?? {}).some((f) => !sent.has(`${u.id}:${f}`)));
  if (!rest.length) return [];
  const written = await fieldsAppliedFrom(
    tx,
    organizationId,
    source,
    rest.map((u) => u.id as number),
  );
  return rest.flatMap((u) => Object.keys(u.changes ?? {}).flatMap((f) => (written.get(u.id as number)?.has(f) ? [`${u.id}:${f}`] : [])));
}
