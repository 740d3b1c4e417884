// The page shows the same word-level diff as the CLI: one implementation, in domain/.
export { type DiffPart, sides, tokenize, wordDiff } from '../domain/word-diff.js';

/** A field's value as text to compare: lists one item a line, objects as indented JSON, nothing as an empty text. */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) return value.join('\n');
  return JSON.stringify(value, null, 2);
}
