export type DiffPart = { kind: 'same' | 'removed' | 'added'; text: string };

/** Above this many token pairs the middle of a change is shown as replaced whole, to keep time bounded. */
const MAX_CELLS = 4_000_000;

const tokens = (s: string) => s.match(/\s+|[^\s]+/g) ?? [];

/**
 * A word-level diff of two texts (whitespace runs are tokens too, so the parts join back into the
 * texts exactly). Common prefix and suffix are cut first; the rest is a longest-common-subsequence.
 */
export function wordDiff(before: string, after: string): DiffPart[] {
  const a = tokens(before);
  const b = tokens(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const parts: DiffPart[] = [];
  const push = (kind: DiffPart['kind'], text: string) => {
    if (!text) return;
    const last = parts.at(-1);
    if (last?.kind === kind) last.text += text;
    else parts.push({ kind, text });
  };
  push('same', a.slice(0, start).join(''));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > MAX_CELLS) {
    push('removed', midA.join(''));
    push('added', midB.join(''));
  } else {
    for (const p of lcsDiff(midA, midB)) push(p.kind, p.text);
  }
  push('same', a.slice(endA).join(''));
  return coalesce(parts);
}

/**
 * Joins changes separated only by whitespace into one removed and one added run, so a rewritten
 * phrase reads as "[-old phrase-]{+new phrase+}" rather than alternating single words.
 */
function coalesce(parts: DiffPart[]): DiffPart[] {
  const out: DiffPart[] = [];
  let removed = '';
  let added = '';
  const flush = () => {
    if (removed) out.push({ kind: 'removed', text: removed });
    if (added) out.push({ kind: 'added', text: added });
    removed = added = '';
  };
  parts.forEach((p, i) => {
    const between = p.kind === 'same' && /^\s+$/.test(p.text) && (removed || added) && parts[i + 1] && parts[i + 1]!.kind !== 'same';
    if (p.kind === 'removed') removed += p.text;
    else if (p.kind === 'added') added += p.text;
    else if (between) {
      removed += p.text;
      added += p.text;
    } else {
      flush();
      out.push(p);
    }
  });
  flush();
  return out;
}

function lcsDiff(a: string[], b: string[]): DiffPart[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const lengths = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * (m + 1) + j] = a[i] === b[j] ? lengths[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lengths[(i + 1) * (m + 1) + j]!, lengths[i * (m + 1) + j + 1]!);
    }
  }
  const out: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i++]! });
      j++;
    } else if (lengths[(i + 1) * (m + 1) + j]! >= lengths[i * (m + 1) + j + 1]!) out.push({ kind: 'removed', text: a[i++]! });
    else out.push({ kind: 'added', text: b[j++]! });
  }
  while (i < n) out.push({ kind: 'removed', text: a[i++]! });
  while (j < m) out.push({ kind: 'added', text: b[j++]! });
  return out;
}
