import type { JobDispatcher, JobTaker } from './dispatcher.js';

/**
 * The embedded deployment: a job submitted here wakes this process's runner directly. Other
 * processes sharing the SQLite file find it on their next sweep.
 */
export class InProcessDispatcher implements JobDispatcher {
  readonly name = 'in-process';
  readonly sweepMs = 500;
  #taker: JobTaker | null = null;

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
