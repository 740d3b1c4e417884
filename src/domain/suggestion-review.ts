// Pure rules for reviewing a job's suggestions at any size: a summary by field, and the subset a
// reviewer chose (some scenarios, some fields). The CLI, the page and the MCP tools share them.

import type { Draft, Suggestion, UpdatedScenario } from './suggestion.js';

/** One row of the summary: a field, or one value added to or removed from a list field (a tool, a tag). */
export interface SummaryRow {
  field: string;
  /** `set` for a field's new value; `add`/`remove` for one list item. */
  kind: 'set' | 'add' | 'remove';
  /** The list item added or removed (for `add`/`remove`). */
  item?: string | number;
  /** How many suggestions make this change. */
  count: number;
}

const isItemList = (v: unknown): v is Array<string | number> => Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number');

/**
 * Counts the changes of many suggestions by field, and list fields by each item added or removed,
 * so a reviewer sees "tool_ids +TOOL_DTMF × 30" once instead of thirty times. Most frequent first.
 */
export function summarizeSuggestions(items: ReadonlyArray<UpdatedScenario>): SummaryRow[] {
  const rows = new Map<string, SummaryRow>();
  const bump = (row: Omit<SummaryRow, 'count'>) => {
    const key = `${row.field}\u0000${row.kind}\u0000${String(row.item ?? '')}`;
    const seen = rows.get(key);
    if (seen) seen.count++;
    else rows.set(key, { ...row, count: 1 });
  };
  for (const s of items) {
    for (const [field, change] of Object.entries(s.changes ?? {})) {
      const before = change.old ?? [];
      const after = change.new ?? [];
      if (isItemList(before) && isItemList(after)) {
        for (const x of after) if (!before.includes(x)) bump({ field, kind: 'add', item: x });
        for (const x of before) if (!after.includes(x)) bump({ field, kind: 'remove', item: x });
      } else bump({ field, kind: 'set' });
    }
  }
  return [...rows.values()].sort((a, b) => b.count - a.count || a.field.localeCompare(b.field));
}

/** A summary row as a person reads it: `tool_ids +TOOL_DTMF × 3`. */
export function summaryLine(row: SummaryRow): string {
  const what = row.kind === 'set' ? row.field : `${row.field} ${row.kind === 'add' ? '+' : '-'}${String(row.item)}`;
  return `${what} × ${row.count}`;
}

export interface SuggestionSubset {
  /** Only these scenarios (drafts, which have no id, are kept only when this is absent). */
  scenarioIds?: ReadonlyArray<number>;
  /** Only these fields of each suggestion; a suggestion left with none is dropped. */
  fields?: ReadonlyArray<string>;
}

/**
 * The suggestions a reviewer chose, ready to send back to apply: each keeps its id and revision,
 * and only the chosen fields' new values (top-level, as apply reads them) and changes.
 */
export function selectSuggestions(items: ReadonlyArray<UpdatedScenario>, subset: SuggestionSubset): UpdatedScenario[] {
  const ids = subset.scenarioIds ? new Set(subset.scenarioIds) : null;
  const fields = subset.fields ? new Set(subset.fields) : null;
  const out: UpdatedScenario[] = [];
  for (const s of items) {
    const isDraft = s.id === undefined || s.id === null;
    if (ids && (isDraft || !ids.has(s.id as number))) continue;
    if (isDraft || !fields) {
      out.push(s);
      continue;
    }
    const changes = Object.fromEntries(Object.entries(s.changes ?? {}).filter(([f]) => fields.has(f)));
    if (!Object.keys(changes).length) continue;
    const values = Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, c.new]));
    // A chosen field keeps its reason; the scenario's notes stay with it.
    const reasons = s.reasons && { reasons: Object.fromEntries(Object.entries(s.reasons).filter(([f]) => fields.has(f))) };
    // The name stays as the label a reviewer knows the scenario by, unless it is a chosen change itself.
    out.push({
      id: s.id,
      ...(s.name !== undefined && { name: s.name }),
      based_on_revision: s.based_on_revision,
      ...values,
      changes,
      ...reasons,
      ...(s.notes && { notes: s.notes }),
    });
  }
  return out;
}

// ── Review state: what a reviewer did with a job's suggestions, beside the job's status ─────────

/** The review states a job or session answers beside the reference's `status`. */
export const REVIEW_STATES = ['to_review', 'applied', 'partly_applied', 'discarded', 'failed', 'running'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];
/** The states a reviewer's action stores on a job; running and failed follow from its status. */
export type StoredReviewState = Extract<ReviewState, 'to_review' | 'applied' | 'partly_applied' | 'discarded'>;

/**
 * A job's review state: running or failed while its status says so, otherwise what the reviewer did
 * (stored when the job completed and when an apply or a discard settled it); null for a job that
 * leaves nothing to review (an apply, a question back, a cancelled job).
 */
export function reviewStateOf(job: { status: string; review_state: string | null }): ReviewState | null {
  if (job.status === 'in_progress') return 'running';
  if (job.status === 'failed') return 'failed';
  return (REVIEW_STATES as readonly string[]).includes(job.review_state ?? '') ? (job.review_state as ReviewState) : null;
}

/** Keys of an item that describe it rather than hold a value (kept here so the page's bundle needs no schema library). */
export const META_KEYS: ReadonlySet<string> = new Set([
  'id',
  'based_on_revision',
  'changes',
  'reasons',
  'notes',
  'draft',
  'source_files',
  'reason',
  'agent_name',
  'personality_name',
]);

/** The fields an item changes: its `changes` when it has them (a result's `name` is there as a label), else its top-level values (a client's edit). */
const fieldsOf = (s: UpdatedScenario): string[] =>
  s.changes && Object.keys(s.changes).length ? Object.keys(s.changes) : Object.keys(s).filter((k) => !META_KEYS.has(k));

/** Each scenario-and-field a set of suggestions changes (`12:tags`), and each draft by name. */
export function changeKeys(items: ReadonlyArray<UpdatedScenario>): Set<string> {
  const keys = new Set<string>();
  for (const s of items) {
    if (s.id === undefined || s.id === null) keys.add(`draft:${String(s.name ?? '')}`);
    else for (const f of fieldsOf(s)) keys.add(`${s.id}:${f}`);
  }
  return keys;
}

/** The same keys for what an apply carries once read and checked: each suggestion's fields, each draft by name. */
export function appliedKeys(suggestions: ReadonlyArray<Suggestion>, drafts: ReadonlyArray<Draft>): Set<string> {
  const keys = new Set<string>();
  for (const s of suggestions) for (const c of s.changes) keys.add(`${s.scenario_id}:${c.field}`);
  for (const d of drafts) keys.add(`draft:${d.scenario.name}`);
  return keys;
}

/** After an apply of `applied` (keys as changeKeys gives them), the job that suggested `suggested` is applied whole or in part. */
export function appliedState(suggested: ReadonlySet<string>, applied: ReadonlySet<string>): 'applied' | 'partly_applied' {
  for (const k of suggested) if (!applied.has(k)) return 'partly_applied';
  return 'applied';
}

/**
 * A session's review state: its latest job's while that one runs or failed, otherwise what was
 * done with its latest suggestions (a later apply or question does not hide them).
 */
export function sessionReviewState(
  latest: { status: string; review_state: string | null } | undefined,
  reviewable: { status: string; review_state: string | null } | undefined,
): ReviewState | null {
  if (latest?.status === 'in_progress') return 'running';
  if (latest?.status === 'failed') return 'failed';
  return reviewable ? reviewStateOf(reviewable) : null;
}
