import { describe, expect, it } from 'vitest';
import { type DiffPart, sides, tokenize, wordDiff } from '../src/domain/word-diff.js';
import { displayValue } from '../src/web/diff.js';

const join = (parts: DiffPart[], skip: DiffPart['op']) =>
  parts
    .filter((p) => p.op !== skip)
    .map((p) => p.text)
    .join('');

describe('word diff', () => {
  it('marks only the words that changed', () => {
    expect(wordDiff('Ask for a refund today.', 'Ask politely for a full refund today.')).toEqual([
      { op: 'equal', text: 'Ask ' },
      { op: 'insert', text: 'politely ' },
      { op: 'equal', text: 'for a ' },
      { op: 'insert', text: 'full ' },
      { op: 'equal', text: 'refund today.' },
    ]);
  });

  it('shows a replaced phrase as one deletion and one insertion, not word by word', () => {
    expect(wordDiff('call the billing line now', 'call the support desk now')).toEqual([
      { op: 'equal', text: 'call the ' },
      { op: 'delete', text: 'billing line' },
      { op: 'insert', text: 'support desk' },
      { op: 'equal', text: ' now' },
    ]);
  });

  it('keeps words whole: a changed word is replaced, not patched letter by letter', () => {
    expect(wordDiff('limit to 10 minutes', 'limit to 5 minutes')).toEqual([
      { op: 'equal', text: 'limit to ' },
      { op: 'delete', text: '10' },
      { op: 'insert', text: '5' },
      { op: 'equal', text: ' minutes' },
    ]);
    expect(tokenize("don't re-check, café!")).toEqual(["don't", ' ', 're-check', ',', ' ', 'café', '!']);
  });

  it.each([
    ['', ''],
    ['', 'all new'],
    ['all gone', ''],
    ['same text', 'same text'],
    ['a b c d e', 'e d c b a'],
    ['line one\nline two\n', 'line one\nline 2\nline three\n'],
    ['Émile says “hi”', 'Émile says “hello” twice'],
  ])('rebuilds both texts exactly from its parts (%j → %j)', (before, after) => {
    const parts = wordDiff(before, after);
    expect(join(parts, 'insert')).toBe(before);
    expect(join(parts, 'delete')).toBe(after);
    expect(parts.every((p) => p.text.length > 0)).toBe(true);
    // Runs of the same kind are merged.
    expect(parts.every((p, i) => i === 0 || parts[i - 1]!.op !== p.op || p.op !== 'equal')).toBe(true);
  });

  it('answers an identical text as one equal run and an empty one as nothing', () => {
    expect(wordDiff('unchanged words', 'unchanged words')).toEqual([{ op: 'equal', text: 'unchanged words' }]);
    expect(wordDiff('', '')).toEqual([]);
  });

  it('still answers for very long texts, as one replacement of the middle', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(' ');
    const b = Array.from({ length: 3000 }, (_, i) => `v${i}`).join(' ');
    const parts = wordDiff(`start ${a} end`, `start ${b} end`);
    expect(parts[0]).toEqual({ op: 'equal', text: 'start ' });
    expect(parts.at(-1)).toEqual({ op: 'equal', text: ' end' });
    expect(join(parts, 'insert')).toBe(`start ${a} end`);
    expect(join(parts, 'delete')).toBe(`start ${b} end`);
  });

  it('splits into the two sides of a side-by-side view', () => {
    const { before, after } = sides(wordDiff('red car', 'blue car'));
    expect(before).toEqual([
      { op: 'delete', text: 'red' },
      { op: 'equal', text: ' car' },
    ]);
    expect(after).toEqual([
      { op: 'insert', text: 'blue' },
      { op: 'equal', text: ' car' },
    ]);
  });
});

describe('word diff, as the CLI prints it', () => {
  it('joins back into both texts and marks only the changed words', () => {
    const a = 'Ask for a refund of the double charge.\nBe polite.';
    const b = 'Ask firmly for a refund of the October charge.\nBe polite.';
    const parts = wordDiff(a, b);
    expect(
      parts
        .filter((p) => p.op !== 'insert')
        .map((p) => p.text)
        .join(''),
    ).toBe(a);
    expect(
      parts
        .filter((p) => p.op !== 'delete')
        .map((p) => p.text)
        .join(''),
    ).toBe(b);
    expect(parts.filter((p) => p.op !== 'equal')).toEqual([
      { op: 'insert', text: 'firmly ' },
      { op: 'delete', text: 'double' },
      { op: 'insert', text: 'October' },
    ]);
  });

  it('shows a rewritten phrase as one removal and one addition', () => {
    expect(wordDiff('the quick brown fox', 'the slow red fox')).toEqual([
      { op: 'equal', text: 'the ' },
      { op: 'delete', text: 'quick brown' },
      { op: 'insert', text: 'slow red' },
      { op: 'equal', text: ' fox' },
    ]);
  });

  it('handles empty sides and identical texts', () => {
    expect(wordDiff('', 'new text')).toEqual([{ op: 'insert', text: 'new text' }]);
    expect(wordDiff('same', 'same')).toEqual([{ op: 'equal', text: 'same' }]);
  });
});

describe('values as text', () => {
  it('shows lists one item a line, objects as JSON and nothing as empty', () => {
    expect(displayValue(['billing', 'vip'])).toBe('billing\nvip');
    expect(displayValue(300)).toBe('300');
    expect(displayValue(null)).toBe('');
    expect(displayValue({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(wordDiff(displayValue(['billing']), displayValue(['billing', 'vip']))).toEqual([
      { op: 'equal', text: 'billing' },
      { op: 'insert', text: '\nvip' },
    ]);
  });
});
