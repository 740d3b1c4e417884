import { MAX_INT } from './storable.js';
import { fieldValueErrors, SUGGESTIBLE_FIELDS, type SuggestibleField } from './scenario.js';

const SUGGESTIBLE: ReadonlySet<string> = new Set(SUGGESTIBLE_FIELDS);

/** One change to apply: an existing scenario's new values, or a new scenario (a generated draft). */
export interface ApplyItem {
  id: number | null;
  basedOnRevision: number | null;
  fields: Partial<Record<SuggestibleField, unknown>>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads `updated_scenarios` items as an improve or clarify result gave them (or as a client edited
 * them): the new values as top-level Scenario fields, or, failing those, `changes[field].new`.
 * Read-only and unknown keys are ignored, so a full Scenario object can be sent back as it is.
 */
export function parseApplyItems(items: ReadonlyArray<Record<string, unknown>>): { items: ApplyItem[]; errors: string[] } {
  const out: ApplyItem[] = [];
  const errors: string[] = [];
  // One item per scenario: two would be written one over the other and reported as a conflict that never happened.
  const firstIndex = new Map<unknown, number>();
  items.forEach((raw, i) => {
    if (raw.id === undefined || raw.id === null) return;
    const first = firstIndex.get(raw.id);
    if (first === undefined) firstIndex.set(raw.id, i);
    else errors.push(`${i}.id: scenario ${String(raw.id)} is already item ${first}; send one item per scenario.`);
  });
  items.forEach((raw, i) => {
    const id = raw.id;
    if (id !== undefined && id !== null && !(Number.isInteger(id) && (id as number) > 0 && (id as number) <= MAX_INT)) {
      errors.push(`${i}.id: must be a scenario id.`);
      return;
    }
    const rev = raw.based_on_revision;
    if (rev !== undefined && rev !== null && !(Number.isInteger(rev) && (rev as number) > 0 && (rev as number) <= MAX_INT)) {
      errors.push(`${i}.based_on_revision: must be a positive integer.`);
      return;
    }
    const fields: ApplyItem['fields'] = {};
    for (const [k, v] of Object.entries(raw)) if (SUGGESTIBLE.has(k)) fields[k as SuggestibleField] = v;
    if (!Object.keys(fields).length && isRecord(raw.changes)) {
      for (const [k, v] of Object.entries(raw.changes)) {
        if (SUGGESTIBLE.has(k)) fields[k as SuggestibleField] = isRecord(v) && 'new' in v ? v.new : v;
      }
    }
    for (const [f, v] of Object.entries(fields)) for (const m of fieldValueErrors(f as SuggestibleField, v)) errors.push(`${i}.${f}: ${m}`);
    const isNew = id === undefined || id === null;
    if (isNew && (fields.name === undefined || fields.personality === undefined)) {
      errors.push(`${i}: a new scenario needs at least name and personality.`);
    }
    if (!isNew && !Object.keys(fields).length) errors.push(`${i}: no changes to apply for scenario ${String(id)}.`);
    out.push({ id: isNew ? null : (id as number), basedOnRevision: (rev as number | undefined) ?? null, fields });
  });
  return { items: out, errors };
}
