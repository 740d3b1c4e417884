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
 * deeper than `maxDepth`. Walks without recursion, so nesting itself cannot overflow the stack.
 */
export function storableProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): StorableProblem | null {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { path, message: NUL_MESSAGE };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return { path, message: DEPTH_MESSAGE };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (k.includes('\u0000')) return { path: [...path, k], message: NUL_MESSAGE };
      stack.push({ value: (v as Record<string, unknown>)[k], path: [...path, k] });
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
