import type { JobTunables } from '../tunables.js';
import type { JobDispatcher, JobTaker } from './dispatcher.js';

/**
 * The embedded deployment: a job submitted here wakes this process's runner directly. Other
 * processes sharing the SQLite file find it on their next sweep.
 */
export class InProcessDispatcher implements JobDispatcher {
  readonly name = 'in-process';
  readonly sweepMs: number;
  #taker: JobTaker | null = null;

  constructor(tune: JobTunables) {
    this.sweepMs = tune.embeddedPollMs;
  }

  async start(): Promise<void> {}

  async dispatch(): Promise<void> {
    this.#taker?.notify();
  }

  async consume(taker: JobTaker): Promise<void> {
    this.#taker = taker;
  }

  async stop(): Promise<void> {
    this.#taker = null;
  }
}
