import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/db.js';

/** What the HTTP layer needs from the process; built once at start and passed down. */
export interface AppDeps {
  config: Config;
  store: Store;
  clock: Clock;
  /** Wakes the job dispatcher after a job row is committed; absent when no worker runs here. */
  notifyJob?: (progressId: string) => void;
  /** Aborts a job running in this process after it was marked cancelled. */
  abortJob?: (progressId: string) => void;
}
