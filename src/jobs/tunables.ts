import type { Config } from '../config.js';

/**
 * Every timing and retry rule of the job system, in one place and derived from the configuration
 * (SCENARIST_LEASE_MS, SCENARIST_HEARTBEAT_MS, SCENARIST_JOB_MAX_ATTEMPTS,
 * SCENARIST_WORKER_CONCURRENCY, SCENARIST_SHUTDOWN_GRACE_MS), so the lease, the heartbeat, the
 * sweep and the queue's retries always agree with each other.
 */
export interface JobTunables {
  /** Jobs one process runs at once. */
  readonly concurrency: number;
  /** How long a claim holds a job; a worker that misses its heartbeats for this long loses it. */
  readonly leaseMs: number;
  /** How often a running job renews its lease and learns of a cancel; shorter than the lease. */
  readonly heartbeatMs: number;
  /** Claims of one job (a worker dying mid-job costs one) before the sweep fails it with a reason. */
  readonly maxAttempts: number;
  /** How long running jobs may finish on shutdown before they are aborted and handed back. */
  readonly shutdownGraceMs: number;
  /** How often a runner fails jobs out of attempts: within half a lease of their lease expiring. */
  readonly sweepMs: number;
  /** How often an idle runner reads the jobs table when jobs arrive in-process (other processes share the SQLite file). */
  readonly embeddedPollMs: number;
  /**
   * The same when a queue delivers jobs: the read catches lost messages and expired leases, so a
   * dead worker's job is claimed again within half a lease of its lease expiring.
   */
  readonly queuedPollMs: number;
  /** How long a delivered job waits for a free slot before the message is refused and goes elsewhere. */
  readonly offerWaitMs: number;
  /** A failing job loop (database down) backs off from its poll interval, doubling, up to this. */
  readonly loopBackoffMaxMs: number;
  /** The pg-boss queue that carries job messages between processes. */
  readonly queue: {
    /** A message only names a job row, whose lease then protects it: it need live no longer than a lease. */
    readonly expireInSeconds: number;
    /** Deliveries of a message refused by full or stopping workers before the sweep is left to find the job. */
    readonly retryLimit: number;
    readonly retryDelaySeconds: number;
    readonly retentionMinutes: number;
    /** How often a worker asks the queue for messages. */
    readonly pollingIntervalSeconds: number;
  };
}

/** The tunables for a configuration. */
export function jobTunables(config: Config): JobTunables {
  const { concurrency, leaseMs, heartbeatMs, maxAttempts, shutdownGraceMs } = config.worker;
  return Object.freeze({
    concurrency,
    leaseMs,
    heartbeatMs,
    maxAttempts,
    shutdownGraceMs,
    sweepMs: Math.min(leaseMs / 2, 5_000),
    embeddedPollMs: 500,
    queuedPollMs: Math.min(leaseMs / 2, 5_000),
    offerWaitMs: Math.min(heartbeatMs, leaseMs / 2),
    loopBackoffMaxMs: 30_000,
    queue: Object.freeze({
      expireInSeconds: Math.max(1, Math.ceil(leaseMs / 1000)),
      retryLimit: 5,
      retryDelaySeconds: 1,
      retentionMinutes: 60,
      pollingIntervalSeconds: Math.min(2, Math.max(0.5, heartbeatMs / 1000)),
    }),
  });
}
