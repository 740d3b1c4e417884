import { loadConfig } from '../src/config.js';
import { killMidJob } from '../test/helpers/kill-mid-job.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';

const SCENARIOS = 8;
const KILL_AFTER = 3;
const ANSWER_MS = 200;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]!;
/** "median; min–max 4.6–5.1 s": the table shows the median, its label the spread over the kills. */
const spread = (xs: number[]) => `median; min–max ${(sorted(xs)[0]! / 1000).toFixed(2)}–${(sorted(xs).at(-1)! / 1000).toFixed(2)} s, ${xs.length} kills`;

/**
 * A worker killed with SIGKILL in the middle of an improve job (8 batches at a fake model answering
 * each in 200 ms, killed while the 4th is at the model), with the shipped lease and heartbeat: how
 * long until the job is claimed again and until it is final, from the kill. On PostgreSQL the other
 * of two `scenarist worker` processes takes it over; on SQLite the single `scenarist serve` is
 * started again at once.
 */
export const recovery: Benchmark = {
  name: 'recovery',
  describe: 'a worker killed mid-job: time to pick-up and to final, batches sent twice',
  async run(ctx: BenchContext): Promise<Figure[]> {
    const kills = ctx.quick ? 3 : 5;
    const { leaseMs, heartbeatMs } = loadConfig({}).worker;
    const runs = [];
    for (let i = 0; i < kills; i++) {
      const r = await killMidJob({ pg: ctx.pg, scenarios: SCENARIOS, killAfter: KILL_AFTER, answerMs: ANSWER_MS });
      try {
        if (r.final.status !== 'completed') throw new Error(`the job ended ${r.final.status}: ${r.final.error}`);
        runs.push({ pickUpMs: r.pickUpMs, finishMs: r.finishMs, resent: r.finishedBeforeKill.filter((id) => (r.sentToModel.get(id) ?? 0) > 1).length });
      } finally {
        await r.stop();
      }
    }
    const pickUps = runs.map((r) => r.pickUpMs);
    const finishes = runs.map((r) => r.finishMs);
    const resent = runs.reduce((a, r) => a + r.resent, 0);
    const how = ctx.pg ? 'another worker' : 'the restarted process';
    const details = { kills, scenarios: SCENARIOS, killed_after_batches: KILL_AFTER, answer_ms: ANSWER_MS, lease_ms: leaseMs, heartbeat_ms: heartbeatMs, runs };
    return [
      figure(
        {
          benchmark: `recovery: kill → claimed by ${how} (${spread(pickUps)})`,
          figure: median(pickUps) / 1000,
          unit: 's',
          reference: { label: 'lease', value: leaseMs / 1000, unit: 's' },
          target: '< 10 s, every kill',
          details,
        },
        () => Math.max(...pickUps) < 10_000,
      ),
      figure({
        benchmark: `recovery: kill → job final, ${SCENARIOS - KILL_AFTER} batches left (${spread(finishes)})`,
        figure: median(finishes) / 1000,
        unit: 's',
        reference: { label: 'claimed again', value: median(pickUps) / 1000, unit: 's' },
        target: '',
      }),
      figure(
        {
          benchmark: `recovery: batches finished before the kill sent to the model again`,
          figure: resent,
          unit: 'batches',
          reference: { label: 'finished before the kill', value: KILL_AFTER * kills, unit: 'batches' },
          target: '0',
        },
        (f) => f.figure === 0,
      ),
    ];
  },
};
