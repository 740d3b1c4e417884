import type { FieldChange, UpdatedScenario } from '../client/index.js';
import { META_KEYS as META } from '../domain/suggestion-review.js';

/** A card of the review: one suggestion (or draft) as the page shows it, keyed for the reviewer's decisions. */
export interface ReviewCard {
  key: string;
  /** Why each field's change was suggested, and what the reviewer should know. */
  reasons: Record<string, string>;
  notes: string[];
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
    const key = id !== null ? `scenario-${id}` : `draft-${i}`;
    return {
      key,
      id,
      name: String(s.name ?? `New scenario ${i + 1}`),
      basedOnRevision: s.based_on_revision ?? null,
      fields,
      reasons: s.reasons ?? {},
      notes: s.notes ?? (s.reason ? [s.reason] : []),
    };
  });
}

/** Which fields of which suggestions the reviewer accepted: key → accepted field names. */
export type Decisions = Map<string, Set<string>>;

/** Which fields of which suggestions an apply from this review wrote already (a draft: all of them): key → field names. */
export type Applied = Map<string, Set<string>>;

/** Everything accepted, the way a suggestion arrives before anyone looks at it. */
export function acceptAll(items: readonly ReviewCard[]): Decisions {
  return new Map(items.map((it) => [it.key, new Set(it.fields.map((f) => f.field))]));
}

/** The fields of a card still to decide on: those no apply has written yet. */
export const openFields = (it: ReviewCard, applied: Applied): string[] => it.fields.map((f) => f.field).filter((f) => !applied.get(it.key)?.has(f));

/** What an apply of the current decisions sends, per card: its accepted fields (a draft: all of them, as applyPayload sends it). */
export function sentFields(items: readonly ReviewCard[], decisions: Decisions): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const it of items) {
    const accepted = decisions.get(it.key);
    if (accepted?.size) out.set(it.key, it.id === null ? it.fields.map((f) => f.field) : [...accepted]);
  }
  return out;
}

/**
 * After an apply succeeded: what it sent counts as applied, and leaves the decisions, so what the
 * reviewer left for later can still be accepted and applied on its own.
 */
export function markApplied(sent: ReadonlyMap<string, readonly string[]>, decisions: Decisions, applied: Applied): void {
  for (const [key, fields] of sent) {
    const set = applied.get(key) ?? new Set<string>();
    for (const f of fields) {
      set.add(f);
      decisions.get(key)?.delete(f);
    }
    applied.set(key, set);
  }
}

/** Whether every suggestion of the review has been applied, so nothing is left to decide. */
export const allApplied = (items: readonly ReviewCard[], applied: Applied): boolean => items.every((it) => openFields(it, applied).length === 0);

/**
 * The `updated_scenarios` to send to apply: only the accepted scenarios, each with only its accepted
 * fields as top-level values (apply then ignores `changes`, so a rejected field is left as it is).
 * A draft is all or nothing: a new scenario needs its name and personality.
 */
export function applyPayload(
  items: readonly ReviewCard[],
  decisions: Decisions,
  rebased: ReadonlyMap<number, number> = new Map(),
  edits: Edits = new Map(),
): UpdatedScenario[] {
  const out: UpdatedScenario[] = [];
  for (const it of items) {
    const accepted = decisions.get(it.key);
    if (!accepted?.size) continue;
    const fields = it.id === null ? it.fields : it.fields.filter((f) => accepted.has(f.field));
    const own = edits.get(it.key);
    const values = Object.fromEntries(fields.map((f) => [f.field, own?.has(f.field) ? own.get(f.field) : f.new]));
    if (it.id === null) {
      // A corrected draft value goes with the one drafted, as a suggestion's does.
      const drafted = own?.size ? Object.fromEntries(fields.filter((f) => own.has(f.field)).map((f) => [f.field, { old: null, new: f.new }])) : undefined;
      out.push({ ...values, ...(drafted ? { changes: drafted } : {}) } as UpdatedScenario);
      continue;
    }
    const revision = rebased.get(it.id) ?? it.basedOnRevision;
    // The suggestion beside an edited value, so the server can tell (and record) what the reviewer corrected.
    const changes = own?.size ? Object.fromEntries(fields.filter((f) => own.has(f.field)).map((f) => [f.field, { old: f.old, new: f.new }])) : undefined;
    out.push({ id: it.id, ...(revision !== null ? { based_on_revision: revision } : {}), ...values, ...(changes ? { changes } : {}) });
  }
  return out;
}

/** The reviewer's own values, per card and field, that replace what was suggested. */
export type Edits = Map<string, Map<string, unknown>>;

/** Where a card stands: every change still open accepted, none, some, stopped by a conflict at the last apply, or applied whole. */
export type CardState = 'accepted' | 'rejected' | 'partly' | 'conflict' | 'applied';

export function cardState(it: ReviewCard, decisions: Decisions, conflicts: ReadonlySet<string>, applied: Applied = new Map()): CardState {
  if (conflicts.has(it.key)) return 'conflict';
  const open = openFields(it, applied).length;
  if (open === 0) return 'applied';
  const n = decisions.get(it.key)?.size ?? 0;
  return n === 0 ? 'rejected' : n === open || it.id === null ? 'accepted' : 'partly';
}

/** What the cards are filtered by: a field changed, a state, and text in the name or any value. */
export interface CardFilter {
  field?: string;
  state?: CardState;
  text?: string;
}

export function filterCards(
  items: readonly ReviewCard[],
  f: CardFilter,
  decisions: Decisions,
  conflicts: ReadonlySet<string>,
  applied: Applied = new Map(),
): ReviewCard[] {
  const text = f.text?.trim().toLowerCase();
  return items.filter((it) => {
    if (f.field && !it.fields.some((x) => x.field === f.field)) return false;
    if (f.state && cardState(it, decisions, conflicts, applied) !== f.state) return false;
    if (text && !`${it.name}\n${it.fields.map((x) => JSON.stringify(x.new)).join('\n')}`.toLowerCase().includes(text)) return false;
    return true;
  });
}

/** A summary row's cards: those changing its field (and, for a list item, adding or removing that item). */
export function cardsOfRow(items: readonly ReviewCard[], row: { field: string; kind: 'set' | 'add' | 'remove'; item?: string | number }): ReviewCard[] {
  return items.filter((it) =>
    it.fields.some((f) => {
      if (f.field !== row.field || it.id === null) return false;
      if (row.kind === 'set') return true;
      const before = Array.isArray(f.old) ? f.old : [];
      const after = Array.isArray(f.new) ? f.new : [];
      return row.kind === 'add' ? after.includes(row.item!) && !before.includes(row.item!) : before.includes(row.item!) && !after.includes(row.item!);
    }),
  );
}

/** Accepts or rejects one field on the given cards that change it: what a summary row's accept-all and reject-all do. A field applied already stays as it is. */
export function decideField(cards: readonly ReviewCard[], field: string, accept: boolean, decisions: Decisions, applied: Applied = new Map()): void {
  for (const it of cards) {
    if (applied.get(it.key)?.has(field) || !it.fields.some((f) => f.field === field)) continue;
    const set = decisions.get(it.key) ?? new Set<string>();
    if (accept) set.add(field);
    else set.delete(field);
    decisions.set(it.key, set);
  }
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
