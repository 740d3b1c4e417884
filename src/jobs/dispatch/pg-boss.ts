import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { Config } from '../../config.js';
import type { DispatchLog, JobDispatcher, JobTaker } from './dispatcher.js';

const QUEUE = 'scenarist-jobs';

interface Message {
  progressId: string;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Many API and worker processes on one PostgreSQL database: API processes send each committed job
 * to a pg-boss queue and worker processes take it from there. pg-boss shares the store's pool, so
 * SCENARIST_DB_POOL_SIZE bounds every connection a process opens.
 */
export class PgBossDispatcher implements JobDispatcher {
  readonly name = 'pg-boss';
  readonly sweepMs: number;
  readonly #boss: PgBoss;
  readonly #config: Config;
  readonly #log: DispatchLog;
  #workerId: string | null = null;

  constructor(pool: pg.Pool, config: Config, log: DispatchLog) {
    this.#config = config;
    this.#log = log;
    // With a fast path in front, the sweep only catches lost messages and expired leases.
    this.sweepMs = Math.min(config.worker.leaseMs, 5_000);
    this.#boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schedule: false,
      // A message names a job row; once taken, the row's lease protects the job, so messages need
      // to live no longer than a lease.
      expireInSeconds: this.#expireInSeconds(),
    });
    // A failed poll or maintenance run must not crash the process; pg-boss retries on its own.
    this.#boss.on('error', (err) => log.error({ err: errorText(err) }, 'job queue error; retrying'));
  }

  #expireInSeconds(): number {
    return Math.max(1, Math.ceil(this.#config.worker.leaseMs / 1000));
  }

  async start(): Promise<void> {
    await this.#boss.start();
    const options = {
      name: QUEUE,
      policy: 'standard' as const,
      expireInSeconds: this.#expireInSeconds(),
      // A worker that is full or stopping refuses a message; it then goes to another worker.
      retryLimit: 5,
      retryDelay: 1,
      retentionMinutes: 60,
    };
    await this.#boss.createQueue(QUEUE, options);
    // Settings follow the configuration of the process that started last.
    await this.#boss.updateQueue(QUEUE, options);
  }

  async dispatch(progressId: string): Promise<void> {
    try {
      await this.#boss.send(QUEUE, { progressId } satisfies Message);
      // A runner in this very process need not wait for its next poll.
      if (this.#workerId) this.#boss.notifyWorker(this.#workerId);
    } catch (err) {
      this.#log.warn({ err: errorText(err), job: progressId }, 'could not send the job to the queue; a worker sweep will find it');
    }
  }

  async consume(taker: JobTaker): Promise<void> {
    const { heartbeatMs } = this.#config.worker;
    this.#workerId = await this.#boss.work<Message>(
      QUEUE,
      { batchSize: this.#config.worker.concurrency, pollingIntervalSeconds: Math.min(2, Math.max(0.5, heartbeatMs / 1000)) },
      async (messages) => {
        const refused = (await Promise.allSettled(messages.map((m) => taker.offer(m.data.progressId)))).filter((r) => r.status === 'rejected');
        // Failing the batch sends it on to another worker; offers already taken here are not repeated
        // because a second offer of a claimed job finds it leased and does nothing.
        if (refused.length) throw (refused[0] as PromiseRejectedResult).reason;
      },
    );
  }

  async stop(): Promise<void> {
    this.#workerId = null;
    // The pool belongs to the store, which closes it after us.
    await this.#boss.stop({ graceful: true, wait: true, close: false, timeout: this.#config.worker.shutdownGraceMs });
  }
}
