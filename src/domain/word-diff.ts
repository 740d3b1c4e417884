/** One run of a word-level diff: text both sides share, or text only the old or only the new side has. */
export interface DiffPart {
  op: 'equal' | 'delete' | 'insert';
  text: string;
}

/** Above this many token pairs the middle of a change is shown as one replacement: the table would cost too much. */
const MAX_CELLS = 4_000_000;

/** Words (letters, digits, apostrophes and hyphens inside words), runs of whitespace, and single other characters. */
export function tokenize(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_]+(?:['’-][\p{L}\p{N}_]+)*|[^\s]/gu) ?? [];
}

/**
 * The word-level difference between two texts, as runs in reading order. Joining the equal and
 * delete runs gives `before`; joining the equal and insert runs gives `after`.
 */
export function wordDiff(before: string, after: string): DiffPart[] {
  const a = tokenize(before);
  const b = tokenize(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const parts: DiffPart[] = [];
  push(parts, 'equal', a.slice(0, start).join(''));
  for (const p of middle(a.slice(start, endA), b.slice(start, endB))) push(parts, p.op, p.text);
  push(parts, 'equal', a.slice(endA).join(''));
  return cleanup(parts);
}

/** Longest common subsequence over tokens, read back into runs; deletions come before insertions. */
function middle(a: string[], b: string[]): DiffPart[] {
  const out: DiffPart[] = [];
  if (!a.length || !b.length || a.length * b.length > MAX_CELLS) {
    push(out, 'delete', a.join(''));
    push(out, 'insert', b.join(''));
    return out;
  }
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  // lcs[i*w + j]: length of the common subsequence of a[i..] and b[j..].
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  const change = pending(out);
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      change.flush();
      push(out, 'equal', a[i]!);
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) change.del += a[i++];
    else change.ins += b[j++];
  }
  change.flush();
  return out;
}

/** Deleted and inserted text gathered until the next equal run, written deletion first. */
function pending(out: DiffPart[]) {
  return {
    del: '',
    ins: '',
    flush() {
      push(out, 'delete', this.del);
      push(out, 'insert', this.ins);
      this.del = this.ins = '';
    },
  };
}

function push(parts: DiffPart[], op: DiffPart['op'], text: string): void {
  if (!text) return;
  const last = parts[parts.length - 1];
  if (last && last.op === op) last.text += text;
  else parts.push({ op, text });
}

/**
 * A change of two words separated by one space reads better as one replaced phrase than as
 * "-a +b -c +d": whitespace-only equal runs between changes join the changes around them.
 */
function cleanup(parts: DiffPart[]): DiffPart[] {
  const changed = (p: DiffPart | undefined) => p !== undefined && p.op !== 'equal';
  const out: DiffPart[] = [];
  const change = pending(out);
  parts.forEach((p, k) => {
    if (p.op === 'delete') change.del += p.text;
    else if (p.op === 'insert') change.ins += p.text;
    else if (/^\s+$/.test(p.text) && changed(parts[k - 1]) && changed(parts[k + 1])) {
      change.del += p.text;
      change.ins += p.text;
    } else {
      change.flush();
      push(out, 'equal', p.text);
    }
  });
  change.flush();
  return slideSpaces(out);
}

/**
 * An inserted or deleted word between two equal runs can be read as " word" or "word ": the
 * second, which keeps the space before it with the text before, marks just the word and its own space.
 */
function slideSpaces(parts: DiffPart[]): DiffPart[] {
  for (let i = 1; i < parts.length - 1; i++) {
    const [prev, cur, next] = [parts[i - 1]!, parts[i]!, parts[i + 1]!];
    if (prev.op !== 'equal' || next.op !== 'equal' || cur.op === 'equal') continue;
    while (/^\s/.test(cur.text) && next.text.startsWith(cur.text[0]!) && !/^\s+$/.test(cur.text)) {
      const c = cur.text[0]!;
      prev.text += c;
      cur.text = cur.text.slice(1) + c;
      next.text = next.text.slice(1);
    }
  }
  return parts.filter((p) => p.text);
}

/** The runs each side of a side-by-side view shows: the old side without insertions, the new side without deletions. */
export function sides(parts: DiffPart[]): { before: DiffPart[]; after: DiffPart[] } {
  return { before: parts.filter((p) => p.op !== 'insert'), after: parts.filter((p) => p.op !== 'delete') };
}
