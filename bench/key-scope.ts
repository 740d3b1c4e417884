import { isoNow, systemClock } from '../src/domain/clock.js';
import { createApiKey } from '../src/store/organizations.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { submitMany } from './lib/jobs.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';
import { combine, load } from './polling.js';

const ROUNDS = 3;

/**
 * What a key limited to a project costs on the hottest route: clients polling their running jobs
 * with such a key (every query narrowed in the store, under the request's async context) against
 * the same polls with an organization-wide key, alternated in one run. The organization-wide key
 * is also measured before any limited key was used, since only then is the context tracking off.
 */
export const keyScope: Benchmark = {
  name: 'key-scope',
  describe: 'progress route polled with a key limited to the project vs an organization-wide key',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const seconds = ctx.quick ? 3 : 9;
    const jobs = ctx.quick ? 100 : 500;
    const server = await startBenchServer(ctx, { worker: false });
    try {
      const db = server.running.store.db;
      const { agentId } = await seedScenarios(db, server.defaultProjectId, 20);
      const ids = await submitMany(server.api, agentId, jobs);
      const { organization_id } = await db.selectFrom('projects').select('organization_id').where('id', '=', server.defaultProjectId).executeTakeFirstOrThrow();
      const limited = (await createApiKey(db, organization_id, 'bench limited', isoNow(systemClock), server.defaultProjectId)).key;
      const route = '/test_framework/v1/scenarios/scenario-agent-progress/';
      const paths = ids.map((id) => `${route}?progress_id=${id}`);
      const poll = (key: string, s: number) => load(server.url, paths, { 'X-CEKURA-API-KEY': key }, s);

      await poll(server.key, 1);
      const untracked = await poll(server.key, seconds / ROUNDS);
      await poll(limited, 1);
      const wholes = [];
      const limits = [];
      for (let i = 0; i < ROUNDS; i++) {
        wholes.push(await poll(server.key, seconds / ROUNDS));
        limits.push(await poll(limited, seconds / ROUNDS));
      }
      const whole = combine(wholes);
      const limit = combine(limits);
      const details = { connections: jobs, seconds, limited: limit, organization_wide: whole, before_any_limited_key: untracked };
      return [
        figure(
          {
            benchmark: `key-scope: requests/s polling with a key limited to the project, ${jobs} clients`,
            figure: limit.rps,
            unit: 'req/s',
            reference: { label: 'organization-wide key', value: whole.rps, unit: 'req/s' },
            target: 'ratio ≥ 0.8',
            details,
          },
          (f) => f.ratio! >= 0.8,
        ),
        figure({
          benchmark: 'key-scope: organization-wide key once a limited key was used',
          figure: whole.rps,
          unit: 'req/s',
          reference: { label: 'before any limited key', value: untracked.rps, unit: 'req/s' },
          target: '',
        }),
      ];
    } finally {
      await server.stop();
    }
  },
};
