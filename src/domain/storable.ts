import { z } from 'zod';

/**
 * What both databases can store, as one rule for every input (requests, uploads, job results).
 * - Text never contains NUL (U+0000): PostgreSQL cannot store it in text or JSON, so it is refused
 *   everywhere, on SQLite too, rather than stored on one database and failing on the other.
 * - JSON nests at most MAX_JSON_DEPTH levels, counted from the body's root, and a free-form field
 *   (information fields, a test profile's information, mock tool entries) is at most FREE_JSON_MAX
 *   characters once serialized.
 * - Integers that name rows or revisions fit a 32-bit signed column (1 … MAX_INT).
 */
export const MAX_INT = 2_147_483_647;
export const MAX_JSON_DEPTH = 32;
export const FREE_JSON_MAX = 100_000;
export const NUL_MESSAGE = 'Text must not contain the NUL character (U+0000).';
export const DEPTH_MESSAGE = `JSON may nest at most ${MAX_JSON_DEPTH} levels.`;

export interface StorableProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * The first part of a JSON-like value no database can hold: a NUL in a string or key, or nesting
 * deeper than `maxDepth`. The walk stops descending at `maxDepth`, so however deep a value nests it
 * never recurses further than that; and it builds a path only for the part it reports, since a
 * 10,000-item apply body is walked on the event loop.
 */
export function storableProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): StorableProblem | null {
  const found = problemIn(value, 0, maxDepth);
  if (found) found.path.reverse();
  return found;
}

/** The problem at or under `v`, its path reversed (innermost key first) while it travels up. */
function problemIn(v: unknown, depth: number, maxDepth: number): StorableProblem | null {
  if (typeof v === 'string') return v.includes('\u0000') ? { path: [], message: NUL_MESSAGE } : null;
  if (v === null || typeof v !== 'object') return null;
  if (depth >= maxDepth) return { path: [], message: DEPTH_MESSAGE };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = problemIn(v[i], depth + 1, maxDepth);
      if (found) {
        found.path.push(i);
        return found;
      }
    }
    return null;
  }
  for (const k of Object.keys(v)) {
    const found = k.includes('\u0000') ? { path: [], message: NUL_MESSAGE } : problemIn((v as Record<string, unknown>)[k], depth + 1, maxDepth);
    if (found) {
      found.path.push(k);
      return found;
    }
  }
  return null;
}

/** True when text can be stored as it is (see the rule above). */
export const storableText = (text: string): boolean => !text.includes('\u0000');

/**
 * A free-form JSON object (e.g. information fields): any keys and values, bounded in depth and size
 * and free of NUL, so what is accepted can always be stored and read back.
 */
export function freeFormObject(maxChars = FREE_JSON_MAX) {
  return z.record(z.string().max(255), z.unknown()).superRefine((value, ctx) => {
    const problem = storableProblem(value, MAX_JSON_DEPTH - 4);
    if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    else if (JSON.stringify(value).length > maxChars) ctx.addIssue({ code: 'custom', message: `At most ${maxChars} characters of JSON.` });
  });
}

/**
 * An integer as a client may write it in a path or query string: plain decimal digits only, so
 * `0x1`, `+1`, `01` and `1e0` are not other names for 1. Numbers (JSON bodies) pass through.
 */
export function intInText<T extends z.ZodType>(inner: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^(0|[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v), inner);
}

/** A row id in a path or query string (see intInText), within the database's integer range. */
export const idInText = () =>
  intInText(z.number({ error: 'A valid integer is required.' }).int().positive().max(MAX_INT, `Ensure this value is less than or equal to ${MAX_INT}.`));

/** A positive row id or revision number in a JSON body. */
export const rowId = () => z.number().int().positive().max(MAX_INT);
