/** One line of the results table: a figure, the reference it is compared with, and the target. */
export interface Figure {
  benchmark: string;
  /** What was measured, in `unit`; null while the benchmark is pending. */
  figure: number | null;
  unit: string;
  /** What the figure is compared with, measured in the same run (or derived from it). */
  reference: { label: string; value: number; unit: string } | null;
  /** figure ÷ reference.value, when both are in the same unit. */
  ratio: number | null;
  /** The target in words, e.g. "ratio ≥ 0.6". Empty for figures shown for information. */
  target: string;
  status: 'pass' | 'fail' | 'info' | 'pending';
  note?: string;
  /** Over several runs: how many, and the lowest and highest figure and ratio (this line is the median run). */
  spread?: { runs: number; figure: { min: number; max: number }; ratio: { min: number; max: number } | null; statuses: Figure['status'][] };
  /** Raw numbers behind the figure, for results.json. */
  details?: Record<string, unknown>;
}

export interface BenchContext {
  /** Run on PostgreSQL (a database of its own) instead of the embedded SQLite. */
  pg: boolean;
  /** Smaller sizes, for a fast look. */
  quick: boolean;
}

export interface Benchmark {
  name: string;
  describe: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Number(n.toPrecision(3)));

/** A figure with its ratio computed and its status judged by `passes` (no target: information only). */
export function figure(
  f: Omit<Figure, 'ratio' | 'status'> & { ratio?: number | null },
  passes?: (f: { figure: number; ratio: number | null }) => boolean,
): Figure {
  const ratio = f.ratio !== undefined ? f.ratio : f.figure !== null && f.reference && f.reference.value > 0 ? f.figure / f.reference.value : null;
  const status: Figure['status'] = f.figure === null ? 'pending' : passes ? (passes({ figure: f.figure, ratio }) ? 'pass' : 'fail') : 'info';
  return {
    ...f,
    figure: f.figure === null ? null : round(f.figure),
    reference: f.reference ? { ...f.reference, value: round(f.reference.value) } : null,
    ratio: ratio === null ? null : round(ratio),
    status,
  };
}
