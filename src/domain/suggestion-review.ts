// Pure rules for reviewing a job's suggestions at any size: a summary by field, and the subset a
// reviewer chose (some scenarios, some fields). The CLI, the page and the MCP tools share them.

import type { UpdatedScenario } from './suggestion.js';

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
    out.push({ id: s.id, based_on_revision: s.based_on_revision, ...values, changes, ...reasons, ...(s.notes && { notes: s.notes }) });
  }
  return out;
}
