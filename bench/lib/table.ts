import type { Figure } from './figures.js';

const num = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 3 });

const range = (r: { min: number; max: number } | null | undefined, unit = '') => (r && r.min !== r.max ? ` (${num(r.min)}–${num(r.max)}${unit})` : '');

function cells(f: Figure): string[] {
  const many = (f.spread?.runs ?? 1) > 1;
  const value = f.figure === null ? (f.note ?? 'pending') : `${num(f.figure)} ${f.unit}`.trim() + (many ? range(f.spread!.figure) : '');
  const ref = f.reference ? `${num(f.reference.value)} ${f.reference.unit} (${f.reference.label})` : '—';
  const ratio = f.ratio === null ? '—' : `${num(f.ratio)}×${many ? range(f.spread!.ratio, '×') : ''}`;
  return [f.benchmark, value, ref, ratio, f.target || '—', f.status];
}

const HEAD = ['benchmark', 'figure', 'reference', 'ratio', 'target', 'result'];

/**
 * The results as a Markdown table: readable in a terminal and pasted as is into the README. Over
 * several runs each line is the median run, with the min–max of all runs in brackets.
 */
export function markdownTable(figures: Figure[]): string {
  const rows = [HEAD, ...figures.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(HEAD), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}
