import { type DiffPart, displayValue, sides, wordDiff } from './diff.js';
import { h } from './dom.js';

function runs(parts: DiffPart[]): Array<Node | string> {
  return parts.map((p) => (p.op === 'delete' ? h('del', {}, p.text) : p.op === 'insert' ? h('ins', {}, p.text) : p.text));
}

function column(label: string, parts: DiffPart[], testid: string): HTMLElement {
  const empty = !parts.some((p) => p.text);
  return h(
    'div',
    { class: 'col' },
    h('div', { class: 'label' }, label),
    h(
      'pre',
      { class: 'text', 'data-testid': testid, tabindex: 0, role: 'group', 'aria-label': `${label} text` },
      empty ? h('span', { class: 'empty' }, '(empty)') : runs(parts),
    ),
  );
}

/** Old and new value side by side, removed words struck through on the left and added ones underlined on the right. */
export function diffView(before: unknown, after: unknown, labels: [string, string] = ['Before', 'After']): HTMLElement {
  const { before: left, after: right } = sides(wordDiff(displayValue(before), displayValue(after)));
  return h('div', { class: 'sidebyside' }, column(labels[0], left, 'diff-before'), column(labels[1], right, 'diff-after'));
}
