import type { FieldChange, UpdatedScenario } from '../client/index.js';

/** Keys of a suggestion that describe it rather than hold a field's new value. */
const META = new Set(['id', 'based_on_revision', 'changes', 'reasons', 'notes', 'draft', 'source_files', 'reason', 'agent_name', 'personality_name']);

/** A card of the review: one suggestion (or draft) as the page shows it, keyed for the reviewer's decisions. */
export interface ReviewCard {
  key: string;
  /** The scenario changed, or null for a new scenario (a draft). */
  id: number | null;
  name: string;
  basedOnRevision: number | null;
  fields: Array<FieldChange & { field: string }>;
}

/** Reads an improve's or a clarify's `updated_scenarios` into what the page shows. */
export function reviewItems(suggestions: readonly UpdatedScenario[]): ReviewCard[] {
  return suggestions.map((s, i) => {
    const id = typeof s.id === 'number' ? s.id : null;
    const fields =
      id !== null && s.changes
        ? Object.entries(s.changes).map(([field, c]) => ({ field, old: c.old, new: field in s ? s[field] : c.new }))
        : Object.entries(s)
            .filter(([k, v]) => !META.has(k) && v !== undefined)
            .map(([field, v]) => ({ field, old: null, new: v }));
    return { key: id !== null ? `scenario-${id}` : `draft-${i}`, id, name: String(s.name ?? `New scenario ${i + 1}`), basedOnRevision: s.based_on_revision ?? null, fields };
  });
}

/** Which fields of which suggestions the reviewer accepted: key → accepted field names. */
export type Decisions = Map<string, Set<string>>;

/** Everything accepted, the way a suggestion arrives before anyone looks at it. */
export function acceptAll(items: readonly ReviewCard[]): Decisions {
  return new Map(items.map((it) => [it.key, new Set(it.fields.map((f) => f.field))]));
}

/**
 * The `updated_scenarios` to send to apply: only the accepted scenarios, each with only its accepted
 * fields as top-level values (apply then ignores `changes`, so a rejected field is left as it is).
 * A draft is all or nothing: a new scenario needs its name and personality.
 */
export function applyPayload(items: readonly ReviewCard[], decisions: Decisions, rebased: ReadonlyMap<number, number> = new Map()): UpdatedScenario[] {
  const out: UpdatedScenario[] = [];
  for (const it of items) {
    const accepted = decisions.get(it.key);
    if (!accepted?.size) continue;
    const fields = it.id === null ? it.fields : it.fields.filter((f) => accepted.has(f.field));
    const values = Object.fromEntries(fields.map((f) => [f.field, f.new]));
    if (it.id === null) {
      out.push(values as UpdatedScenario);
      continue;
    }
    const revision = rebased.get(it.id) ?? it.basedOnRevision;
    out.push({ id: it.id, ...(revision !== null ? { based_on_revision: revision } : {}), ...values });
  }
  return out;
}

/** How many scenarios and fields an apply would send, for the Apply button's label. */
export function countAccepted(items: readonly ReviewCard[], decisions: Decisions): { scenarios: number; fields: number } {
  let scenarios = 0;
  let fields = 0;
  for (const it of items) {
    const n = decisions.get(it.key)?.size ?? 0;
    if (!n) continue;
    scenarios++;
    fields += it.id === null ? it.fields.length : n;
  }
  return { scenarios, fields };
}
