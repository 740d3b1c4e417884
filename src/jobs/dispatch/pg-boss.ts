import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { JobTunables } from '../tunables.js';
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
  readonly #tune: JobTunables;
  readonly #log: DispatchLog;
  #workerId: string | null = null;

  constructor(pool: pg.Pool, tune: JobTunables, log: DispatchLog) {
    this.#tune = tune;
    this.#log = log;
    // With a fast path in front, the sweep only catches lost messages and expired leases.
    this.sweepMs = tune.queuedPollMs;
    this.#boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schedule: false,
      expireInSeconds: tune.queue.expireInSeconds,
    });
    // A failed poll or maintenance run must not crash the process; pg-boss retries on its own.
    this.#boss.on('error', (err) => log.error({ err: errorText(err) }, 'job queue error; retrying'));
  }

  async start(): Promise<void> {
    await whileDeadlocked(() => this.#boss.start());
    const options = {
      name: QUEUE,
      policy: 'standard' as const,
      expireInSeconds: this.#tune.queue.expireInSeconds,
      // A worker that is full or stopping refuses a message; it then goes to another worker.
      retryLimit: this.#tune.queue.retryLimit,
      retryDelay: this.#tune.queue.retryDelaySeconds,
      retentionMinutes: this.#tune.queue.retentionMinutes,
    };
    await whileDeadlocked(() => this.#boss.createQueue(QUEUE, options));
    // Settings follow the configuration of the process that started last.
    await whileDeadlocked(() => this.#boss.updateQueue(QUEUE, options));
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
    this.#workerId = await this.#boss.work<Message>(
      QUEUE,
      { batchSize: this.#tune.concurrency, pollingIntervalSeconds: this.#tune.queue.pollingIntervalSeconds },
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
    await this.#boss.stop({ graceful: true, wait: true, close: false, timeout: this.#tune.shutdownGraceMs });
  }
}

/**
 * Processes starting together each create pg-boss's schema and queue, and PostgreSQL may pick one of
 * them as a deadlock victim (SQLSTATE 40P01). The statements are idempotent, so the victim tries again.
 */
async function whileDeadlocked<T>(step: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (err) {
      if ((err as { code?: string } | null)?.code !== '40P01' || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 50 * i + Math.floor(Math.random() * 50)));
    }
  }
}
