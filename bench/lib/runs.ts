import type { Figure } from './figures.js';

/**
 * Several runs of one benchmark as one line per figure: the median run (by ratio where the figure
 * has one, else by the figure), its status and reference, and the spread of every run beside it.
 * The median run is one real run, so its figure, reference and ratio belong together.
 */
export function medianRuns(runs: Figure[][]): Figure[] {
  const first = runs[0] ?? [];
  return first.map((f, i) => {
    const same = runs.map((r) => r.find((g) => g.benchmark === f.benchmark) ?? r[i]!).filter((g) => g.figure !== null);
    if (!same.length) return f;
    const key = (g: Figure) => (g.ratio ?? g.figure)!;
    const median = [...same].sort((a, b) => key(a) - key(b))[Math.floor((same.length - 1) / 2)]!;
    const span = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs) });
    return {
      ...median,
      spread: {
        runs: same.length,
        figure: span(same.map((g) => g.figure!)),
        ratio: same.every((g) => g.ratio !== null) ? span(same.map((g) => g.ratio!)) : null,
        statuses: same.map((g) => g.status),
      },
    };
  });
}
