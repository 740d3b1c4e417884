import type { Config } from '../config.js';
import { type Clock, isoNow } from '../domain/clock.js';
import type { Store } from '../store/db.js';
import type { Actor } from '../store/scenarios.js';

/**
 * What a use-case needs from the process, built once at start by the composition root (server,
 * worker, CLI) and handed to every entry point. The API's dependencies are this shape.
 */
export interface ServiceContext {
  config: Config;
  store: Store;
  clock: Clock;
  /** Dispatches a job to a worker after its row is committed (here or in another process). */
  notifyJob?: (progressId: string) => void;
  /** Aborts a job running in this process; a worker elsewhere learns of a cancel from its heartbeat. */
  abortJob?: (progressId: string) => void;
}

/** Who asks: the organization every read and write is scoped to, and the key revisions name. */
export interface Caller {
  organizationId: number;
  keyId: number;
  keyName: string;
}

export const nowOf = (ctx: ServiceContext): string => isoNow(ctx.clock);

export const actorOf = (caller: Caller): Actor => ({ keyId: caller.keyId, name: caller.keyName });
