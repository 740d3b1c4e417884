import type { JobStatus } from '../domain/jobs.js';

/** Why a running job was stopped before its handler finished. */
export type AbortReason =
  /** A user cancelled it: in this process directly, or in another one and carried here by the heartbeat. */
  | { kind: 'cancelled' }
  /** Its lease expired and another worker claimed it, or it ended without this worker. */
  | { kind: 'lease_lost' }
  /** This process is stopping and the grace period ran out. */
  | { kind: 'shutdown' };

export type AbortKind = AbortReason['kind'];

const MESSAGES: Record<AbortKind, string> = { cancelled: 'cancelled', lease_lost: 'lease lost', shutdown: 'shutting down' };

/**
 * The reason a job's AbortSignal carries, down to the model call it cuts short. An Error, so
 * code that rethrows `signal.reason` rethrows something with a message.
 */
export class JobAborted extends Error {
  override name = 'JobAborted';
  constructor(readonly reason: AbortReason) {
    super(MESSAGES[reason.kind]);
  }
}

export const abortReasonOf = (signal: AbortSignal): AbortReason | undefined => (signal.reason instanceof JobAborted ? signal.reason.reason : undefined);

/**
 * The status a job aborted for each reason ends in; null when that is not this worker's to say.
 * The aborted worker itself writes nothing — every write after a claim is guarded by its lease and
 * by the job still running — so whoever stopped it records the end:
 * - cancelled: the cancel already ended the job (status, result, the session's "Cancelled." reply);
 * - lease_lost: the worker that claimed it again (or the sweep, out of attempts) ends it;
 * - shutdown: it is handed back uncharged on the way out and waits for another worker.
 */
export function statusAfterAbort(reason: AbortReason): JobStatus | null {
  switch (reason.kind) {
    case 'cancelled':
      return 'cancelled';
    case 'lease_lost':
      return null;
    case 'shutdown':
      return 'in_progress';
  }
}
