import type { BenchContext } from './lib/figures.js';
import { benchmarks } from './registry.js';

/**
 * Runs one benchmark in a process of its own, so memory and CPU figures count that benchmark
 * alone, and sends its figures back to the runner.
 */
const [name, ctxJson] = process.argv.slice(2);
const bench = benchmarks.find((b) => b.name === name);
if (!bench || !process.send) throw new Error(`usage: forked by bench/run.ts with a benchmark name (got ${name})`);
const ctx = JSON.parse(ctxJson!) as BenchContext;
bench
  .run(ctx)
  .then((figures) => process.send!({ figures }, () => process.exit(0)))
  .catch((err: unknown) => {
    process.send!({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
  });
