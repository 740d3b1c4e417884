import autocannon from 'autocannon';
import Fastify from 'fastify';
import { figure, type Benchmark, type BenchContext, type Figure } from './lib/figures.js';
import { submit } from './lib/jobs.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

const CONNECTIONS = 50;
const ROUNDS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rounds of one route as one figure: the median round for each number. */
function combine(runs: Array<Awaited<ReturnType<typeof load>>>) {
  return { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), requests: runs.reduce((a, r) => a + r.requests, 0) };
}

/** Load from a worker thread, so the generator does not share the servers' event loop. */
async function load(url: string, headers: Record<string, string>, seconds: number) {
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: seconds, workers: 1 });
  if (r.errors || r.non2xx) throw new Error(`${url}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total };
}

/**
 * `GET scenario-agent-progress/` of a running job (what a client polls while it waits) under 50
 * connections, against a bare Fastify route in the same process answering the same JSON.
 */
export const polling: Benchmark = {
  name: 'polling',
  describe: 'progress route throughput and latency vs a bare Fastify JSON route',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const seconds = ctx.quick ? 3 : 12;
    // No worker: the job stays in_progress, as it is for most of the polls a client makes.
    const server = await startBenchServer(ctx, { worker: false });
    const bare = Fastify({ logger: false });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, 20);
      const progressId = await submit(server.api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' });
      const path = `/test_framework/v1/scenarios/scenario-agent-progress/?progress_id=${progressId}`;
      const sample = await server.api('GET', path);
      const body = sample.body as object;
      bare.get('/bare', async () => body);
      const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

      const loadBare = (s: number) => load(`${bareUrl}/bare`, {}, s);
      const loadProgress = (s: number) => load(server.url + path, { 'X-CEKURA-API-KEY': server.key }, s);
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
      const ref = combine(refs);
      const got = combine(gots);
      const bytes = JSON.stringify(body).length;
      const details = { connections: CONNECTIONS, seconds, response_bytes: bytes, progress: got, bare: ref };
      return [
        figure(
          { benchmark: 'polling: requests/s', figure: got.rps, unit: 'req/s', reference: { label: 'bare route', value: ref.rps, unit: 'req/s' }, target: 'ratio ≥ 0.6', details },
          (f) => f.ratio! >= 0.6,
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
