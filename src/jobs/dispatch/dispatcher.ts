import type { Config } from '../../config.js';
import type { Store } from '../../store/db.js';
import { jobTunables } from '../tunables.js';
import { InProcessDispatcher } from './in-process.js';
import { PgBossDispatcher } from './pg-boss.js';

/** What a dispatcher hands work to: the job runner of this process. */
export interface JobTaker {
  /** Look in the jobs table now rather than at the next sweep. */
  notify(): void;
  /**
   * Claims and starts the named job if this process has room for it. Resolves once it is running
   * here or was taken by someone else; rejects when this process cannot take it (full or stopping),
   * so the message can go to another worker.
   */
  offer(progressId: string): Promise<void>;
}

export interface DispatchLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Tells workers that a committed job row is waiting. The row is the truth users poll; a dispatch is
 * only the fast path to a worker. A send that fails or a message that is lost delays the job until
 * a runner's own sweep of the jobs table finds it, never loses it.
 */
export interface JobDispatcher {
  readonly name: string;
  /** How often runners sweep the jobs table themselves (waiting rows and expired leases). */
  readonly sweepMs: number;
  start(): Promise<void>;
  /** Never rejects: a failed send is logged and left to the sweep. */
  dispatch(progressId: string): Promise<void>;
  /** Delivers dispatched jobs to this process's runner (worker processes only). */
  consume(taker: JobTaker): Promise<void>;
  stop(): Promise<void>;
}

/** The dispatcher for the deployment the store describes: pg-boss on PostgreSQL, in-process otherwise. */
export function createDispatcher(store: Store, config: Config, log: DispatchLog): JobDispatcher {
  const tune = jobTunables(config);
  return store.pgPool ? new PgBossDispatcher(store.pgPool, tune, log) : new InProcessDispatcher(tune);
}
