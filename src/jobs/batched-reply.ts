import type { Suggestion } from '../domain/suggestion.js';

/**
 * The assistant's reply for a job whose scenarios went to the engine in several batches. Each
 * batch's own message counts only its batch ("1 of 1 scenario"), so the job states the counts for
 * the whole selection and keeps, once each, what the batches said they could not do (messages that
 * differ only in their numbers are one message).
 */
export function batchedReply(changed: ReadonlyArray<Pick<Suggestion, 'changes'>>, total: number, notes: readonly string[]): string {
  const perField = new Map<string, number>();
  for (const c of changed) for (const { field } of c.changes) perField.set(field, (perField.get(field) ?? 0) + 1);
  const fields = [...perField].map(([field, n]) => `${field} on ${n}`).join(', ');
  const head = changed.length
    ? `I suggest changes to ${changed.length} of ${total} scenario(s)${fields ? `: ${fields}` : ''}. Review them and apply the ones you want.`
    : `No changes to suggest for these ${total} scenario(s).`;
  // Batches say the same thing with their own counts ("2 of 2", "1 of 1"): said once, as the first batch put it.
  const seen = new Map<string, string>();
  for (const n of notes.map((x) => x.trim()).filter(Boolean)) {
    const key = n.replace(/\d+/g, '#').replace(/\s+/g, ' ').toLowerCase();
    if (!seen.has(key)) seen.set(key, n);
  }
  return [head, ...seen.values()].join('\n\n');
}
