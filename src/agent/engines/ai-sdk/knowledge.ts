/** Characters of knowledge-base text an improve and a clarify prompt carry by default (dry-run estimates read the same). */
export const IMPROVE_KNOWLEDGE_CHARS = 12_000;
export const CLARIFY_KNOWLEDGE_CHARS = 60_000;

export interface KnowledgeChunk {
  file_id: number;
  file_name: string;
  part: number;
  text: string;
}

/** Splits text into parts of at most `size` characters, at paragraph or line breaks where it can. */
export function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > size) {
    const window = rest.slice(0, size);
    const cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf('. ') + 1);
    const at = cut > size / 2 ? cut : size;
    parts.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}

/**
 * The knowledge base cut to a budget of characters: every file gets its first parts before any
 * file gets more, so a long manual cannot crowd out a short FAQ. Reports what was left out.
 */
export function knowledgeWithinBudget(
  files: ReadonlyArray<{ id: number; file_name: string; text: string }>,
  budgetChars: number,
  chunkChars = 2_000,
): { chunks: KnowledgeChunk[]; omittedChars: number } {
  const queues = files.map((f) => splitText(f.text, chunkChars).map((text, i) => ({ file_id: f.id, file_name: f.file_name, part: i + 1, text })));
  const chunks: KnowledgeChunk[] = [];
  let used = 0;
  let omittedChars = 0;
  for (let round = 0; queues.some((q) => q.length > round); round++) {
    for (const q of queues) {
      const c = q[round];
      if (!c) continue;
      if (used + c.text.length > budgetChars) {
        omittedChars += c.text.length;
        continue;
      }
      used += c.text.length;
      chunks.push(c);
    }
  }
  chunks.sort((a, b) => a.file_id - b.file_id || a.part - b.part);
  return { chunks, omittedChars };
}
