import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openStore, type Store } from '../src/store/db.js';
import { claimNext, type Lease, setProgress } from '../src/store/jobs.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { submitMany } from './lib/jobs.js';
import { MB, settle } from './lib/measure.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;

function ask<T>(child: ChildProcess, message: object, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const on = (m: Record<string, unknown>) => {
      if (m.error) reject(new Error(String(m.error)));
      else if (key in m) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

/**
 * 1,000 clients, in a process of their own, each following a running job by its event stream,
 * while a worker writes progress to every job, a round of writes spread over a second. Measured:
 * the delay from a write's commit to its event reaching the client, and the API process's CPU and
 * memory. On PostgreSQL the worker has its own connections, so the word travels by NOTIFY; on
 * SQLite it shares the API's store, as the embedded runner does.
 */
export const follow: Benchmark = {
  name: 'follow',
  describe: '1,000 clients following running jobs by stream: write-to-event delay, API CPU and memory',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const jobs = ctx.quick ? 200 : 1_000;
    const rounds = ctx.quick ? 2 : 5;
    const server = await startBenchServer(ctx, { worker: false });
    let worker: Store | undefined;
    const followers = fork(path.join(here, 'lib', 'followers.ts'), [], { execArgv: process.execArgv });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, 5);
      const ids = await submitMany(server.api, agentId, jobs);
      if (ctx.pg) {
        worker = openStore({ kind: 'postgres', url: server.running.store.pgPool!.options.connectionString as string, poolSize: 4 });
        await migrate(worker);
      }
      const store = worker ?? server.running.store;
      const leases = new Map<string, Lease>();
      for (const id of ids) {
        const job = await claimNext(store.db, 'bench-worker', 600_000, new Date(), undefined, id);
        if (!job) throw new Error(`could not claim ${id}`);
        leases.set(id, { jobId: job.id, owner: 'bench-worker', attempt: job.attempts });
      }

      await ask(followers, { start: { url: server.url, key: server.key, ids } }, 'ready');
      settle();
      const rssBefore = process.memoryUsage.rss();
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 20);
      const cpu = process.cpuUsage();
      const start = performance.now();
      const written = new Map<string, number>();
      for (let round = 1; round <= rounds; round++) {
        const roundStart = performance.now();
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          // Spread over the second, as jobs finishing batches at their own pace do.
          const due = roundStart + (i * 1000) / ids.length;
          const ahead = due - performance.now();
          if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
          if (!(await setProgress(store.db, leases.get(id)!, round, rounds, undefined, new Date().toISOString()))) throw new Error(`lost ${id}`);
          written.set(`${id}:${round}`, performance.timeOrigin + performance.now());
          store.jobEvents.changed(id);
        }
      }
      // Time for the last events to arrive.
      await new Promise((r) => setTimeout(r, 1_000));
      const wallMs = performance.now() - start;
      const used = process.cpuUsage(cpu);
      clearInterval(sampler);
      const { arrivals } = await ask<{ arrivals: Array<{ id: string; done: number; at: number }> }>(followers, { stop: true }, 'arrivals');

      const delays: number[] = [];
      for (const a of arrivals) {
        const w = written.get(`${a.id}:${a.done}`);
        if (w !== undefined) delays.push(Math.max(0, a.at - w));
      }
      const missing = written.size - delays.length;
      const p99 = delays.length ? quantile(delays, 0.99) : Infinity;
      const target = ctx.pg ? 250 : 100;
      const cpuPerSecond = (used.user + used.system) / 1000 / (wallMs / 1000);
      const details = {
        clients: jobs,
        rounds,
        writes: written.size,
        events: arrivals.length,
        missing,
        p50_ms: quantile(delays, 0.5),
        p99_ms: p99,
        max_ms: Math.max(...delays),
        wall_ms: wallMs,
        cpu_ms: (used.user + used.system) / 1000,
      };
      const who = ctx.pg ? 'API process (the worker writing is in it too, on connections of its own)' : 'API process (with the embedded worker writing)';
      return [
        figure(
          {
            benchmark: `follow: ${jobs.toLocaleString('en-US')} streams, write-to-event delay p99`,
            figure: missing ? null : p99,
            unit: 'ms',
            reference: null,
            target: `< ${target} ms`,
            note: missing
              ? `${missing} of ${written.size} writes never reached their stream`
              : `p50 ${Math.round(quantile(delays, 0.5))} ms, ${delays.length} events`,
            details,
          },
          (f) => f.figure < target,
        ),
        figure({ benchmark: 'follow: CPU while following', figure: cpuPerSecond, unit: 'ms/s', reference: null, target: '', note: who }),
        figure({
          benchmark: 'follow: RSS growth while following',
          figure: (rssPeak - rssBefore) / MB,
          unit: 'MB',
          reference: null,
          target: '',
          note: `process ${Math.round(rssPeak / MB)} MB with ${jobs} streams open`,
        }),
      ];
    } finally {
      followers.kill();
      await worker?.close();
      await server.stop();
    }
  },
};
