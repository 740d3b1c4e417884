import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext, Figure } from './lib/figures.js';
import { loadAverage, machineInfo } from './lib/machine.js';
import { medianRuns } from './lib/runs.js';
import { markdownTable } from './lib/table.js';
import { benchmarks } from './registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(here, 'results.json');

const { values } = parseArgs({
  options: {
    pg: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    `npm run bench -- [--pg] [--quick] [--runs N] [--only <name>]…\n\nEach benchmark runs N times (3 by default); the table shows the median run with the min–max of all.\n\nBenchmarks:\n${benchmarks.map((b) => `  ${b.name.padEnd(18)} ${b.describe}`).join('\n')}`,
  );
  process.exit(0);
}
const unknown = (values.only ?? []).filter((n) => !benchmarks.some((b) => b.name === n));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${benchmarks.map((b) => b.name).join(', ')}.`);
  process.exit(2);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive integer (got ${values.runs}).`);
  process.exit(2);
}
const selected = values.only?.length ? benchmarks.filter((b) => values.only!.includes(b.name)) : benchmarks;
const ctx: BenchContext = { pg: values.pg, quick: values.quick };
const database = ctx.pg ? 'postgres' : 'sqlite';

/** One benchmark in a fresh process, with --expose-gc so memory figures can start from a clean heap. */
function runChild(name: string): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'child.ts'), [name, JSON.stringify(ctx)], { execArgv: [...process.execArgv, '--expose-gc'] });
    let answer: { figures?: Figure[]; error?: string } | undefined;
    child.on('message', (m) => (answer = m as typeof answer));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (answer?.figures) resolve(answer.figures);
      else reject(new Error(answer?.error ?? `${name} exited with code ${code} and no figures`));
    });
  });
}

const machine = machineInfo();
const loadBefore = loadAverage();
console.log(
  `Benchmarks on ${database}${ctx.quick ? ' (quick sizes)' : ''}, ${runs} run(s) each: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average ${loadBefore.join(', ')}\n`,
);
const figures: Figure[] = [];
const failures: string[] = [];
for (const b of selected) {
  const got: Figure[][] = [];
  for (let i = 1; i <= runs; i++) {
    process.stdout.write(`${b.name} (run ${i}/${runs}): ${b.describe} … `);
    const start = performance.now();
    try {
      got.push(await runChild(b.name));
      console.log(`${((performance.now() - start) / 1000).toFixed(1)} s, load ${loadAverage()[0]}`);
    } catch (err) {
      console.log('error');
      console.error(err instanceof Error ? err.message : err);
    }
  }
  // A benchmark that failed in any run is reported as not run: a median of the runs that worked would flatter it.
  if (got.length < runs) failures.push(b.name);
  else figures.push(...medianRuns(got));
}

console.log(`\n${markdownTable(figures)}\n`);

// One entry per database, so a PostgreSQL run keeps the SQLite figures beside it (and the reverse).
const previous = fs.existsSync(RESULTS) ? (JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as Record<string, unknown>) : {};
const loadAfter = loadAverage();
console.log(`Load average (1, 5, 15 min): ${loadBefore.join(', ')} before, ${loadAfter.join(', ')} after.`);
const run = {
  date: new Date().toISOString(),
  machine,
  load_average: { before: loadBefore, after: loadAfter },
  runs,
  quick: ctx.quick,
  only: values.only ?? null,
  figures,
};
fs.writeFileSync(RESULTS, `${JSON.stringify({ ...previous, [database]: run }, null, 2)}\n`);
console.log(`Wrote ${path.relative(process.cwd(), RESULTS)} (${database}).`);

const failed = figures.filter((f) => f.status === 'fail');
if (failed.length || failures.length) {
  console.log(`Missed targets: ${failed.map((f) => f.benchmark).join('; ') || 'none'}${failures.length ? `; did not run: ${failures.join(', ')}` : ''}`);
  process.exitCode = 1;
}
