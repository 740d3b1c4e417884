import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/db.js';

/** What the HTTP layer needs from the process; built once at start and passed down. */
export interface AppDeps {
  config: Config;
  store: Store;
  clock: Clock;
  /** Dispatches a job to a worker after its row is committed (here or in another process). */
  notifyJob?: (progressId: string) => void;
  /** Aborts a job running in this process after it was marked cancelled. */
  abortJob?: (progressId: string) => void;
}
