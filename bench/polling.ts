import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { submitMany } from './lib/jobs.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROUNDS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rounds of one route as one figure: the median round for each number. */
export function combine(runs: Array<Awaited<ReturnType<typeof load>>>) {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
  };
}

/**
 * Load from a worker thread, so the generator does not share the servers' event loop. Each
 * connection asks for a path of its own (`paths`): one job per client.
 */
export async function load(url: string, paths: string[], headers: Record<string, string>, seconds: number) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-bench-')), 'paths.json');
  fs.writeFileSync(file, JSON.stringify(paths));
  process.env.SCENARIST_BENCH_PATHS = file;
  try {
    const r = await autocannon({
      url,
      headers,
      connections: paths.length,
      duration: seconds,
      workers: 1, // In workers mode autocannon takes a module path here, which its types do not know.
      setupClient: path.join(here, 'lib', 'own-job-client.cjs') as unknown as (client: autocannon.Client) => void,
    });
    if (r.errors || r.non2xx) throw new Error(`${url}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/**
 * `GET scenario-agent-progress/` of running jobs as clients poll them: 1,000 connections, each
 * following a job of its own, against a bare Fastify route in the same process answering each
 * job's same JSON from memory.
 */
export const polling: Benchmark = {
  name: 'polling',
  describe: 'progress route, 1,000 clients each polling its own running job, vs a bare Fastify route answering the same JSON',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const seconds = ctx.quick ? 3 : 12;
    const jobs = ctx.quick ? 200 : 1_000;
    // No worker: the jobs stay in_progress, as they are for most of the polls a client makes.
    const server = await startBenchServer(ctx, { worker: false });
    const bare = Fastify({ logger: false });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, 20);
      const ids = await submitMany(server.api, agentId, jobs);
      const route = '/test_framework/v1/scenarios/scenario-agent-progress/';
      const progressText = async (id: string) => {
        const res = await fetch(`${server.url}${route}?progress_id=${id}`, { headers: { 'X-CEKURA-API-KEY': server.key } });
        if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
        return res.text();
      };
      // The bare route answers each job's very bytes, as text made beforehand: the least any route
      // answering from memory can do.
      const bodies = new Map<string, string>();
      for (const id of ids) bodies.set(id, await progressText(id));
      bare.get<{ Querystring: { progress_id: string } }>('/bare', (req, reply) => {
        void reply.type('application/json; charset=utf-8').send(bodies.get(req.query.progress_id));
      });
      const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
      const bareText = async (id: string) => (await fetch(`${bareUrl}/bare?progress_id=${id}`)).text();

      const loadBare = (s: number) =>
        load(
          bareUrl,
          ids.map((id) => `/bare?progress_id=${id}`),
          {},
          s,
        );
      const loadProgress = (s: number) =>
        load(
          server.url,
          ids.map((id) => `${route}?progress_id=${id}`),
          { 'X-CEKURA-API-KEY': server.key },
          s,
        );
      // Warm both (JIT, connection pools), then alternate short runs so a change in the machine's
      // load between them touches both sides alike.
      await loadBare(1);
      await loadProgress(1);
      const refs = [];
      const gots = [];
      for (let i = 0; i < ROUNDS; i++) {
        refs.push(await loadBare(seconds / ROUNDS));
        gots.push(await loadProgress(seconds / ROUNDS));
      }
      // Both answered the same bytes for every job, before and after the load.
      for (const id of ids) {
        const [mine, theirs] = [await progressText(id), await bareText(id)];
        if (mine !== theirs || mine !== bodies.get(id)) throw new Error(`job ${id}: the route and the bare route answer different bytes`);
      }
      const ref = combine(refs);
      const got = combine(gots);
      const bytes = Buffer.byteLength(bodies.get(ids[0]!)!);
      const details = { connections: jobs, jobs, seconds, response_bytes: bytes, progress: got, bare: ref };
      const target = ctx.pg ? 0.6 : 0.8;
      return [
        figure(
          {
            benchmark: `polling: requests/s, ${jobs.toLocaleString('en-US')} clients each on its own job`,
            figure: got.rps,
            unit: 'req/s',
            reference: { label: 'bare route', value: ref.rps, unit: 'req/s' },
            target: `ratio ≥ ${target}`,
            details,
          },
          (f) => f.ratio! >= target,
        ),
        figure({ benchmark: 'polling: p50 latency', figure: got.p50, unit: 'ms', reference: { label: 'bare route', value: ref.p50, unit: 'ms' }, target: '' }),
        figure({ benchmark: 'polling: p99 latency', figure: got.p99, unit: 'ms', reference: { label: 'bare route', value: ref.p99, unit: 'ms' }, target: '' }),
      ];
    } finally {
      await bare.close();
      await server.stop();
    }
  },
};
