import crypto from 'node:crypto';
import os from 'node:os';
import type { ScenarioEngine } from '../agent/engine.js';
import type { Config } from '../config.js';
import { type Clock, isoNow } from '../domain/clock.js';
import { yieldToEventLoop } from '../domain/event-loop.js';
import type { JobKind, TokenUsage } from '../domain/jobs.js';
import { isDataError } from '../store/data-errors.js';
import type { Store } from '../store/db.js';
import { keepBatch, keptBatches } from '../store/job-batches.js';
import { claimNext, heartbeat, type Lease, recordAttemptFailure, releaseOwned, setProgress } from '../store/jobs.js';
import { outsideProjectScope, withProjectScope } from '../store/key-scope.js';
import { keyProjectScope } from '../store/organizations.js';
import type { Row } from '../store/schema.js';
import { abortReasonOf, JobAborted, statusAfterAbort } from './abort.js';
import { budgetFor, pricedUsage } from './budget.js';
import { endJob } from './job-end.js';
import { failedOutcome, refusedWrite, storableOutcome } from './storable-outcome.js';
import { takeSubmitted } from './submitted-requests.js';
import { type JobTunables, jobTunables } from './tunables.js';
import { type JobHandler, type JobOutcome, OutcomeInstead } from './types.js';

export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunnerOptions {
  store: Store;
  config: Config;
  clock: Clock;
  engine: ScenarioEngine;
  handlers: Partial<Record<JobKind, JobHandler>>;
  log: RunnerLog;
  /** How often an idle runner looks for work other processes submitted (the dispatcher's poll by default). */
  pollMs?: number;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs job rows: claims one with a lease, renews the lease while it works, aborts it when it is
 * cancelled or the lease is lost, and records its outcome together with the session's reply in
 * one transaction. Jobs whose worker died are claimed again after their lease expires.
 */
export class JobRunner {
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  readonly #opts: RunnerOptions;
  readonly #tune: JobTunables;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #stopping = false;
  /** Slots promised to offers that are claiming their job right now. */
  #reserved = 0;
  #slotWaiters = new Set<() => void>();
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #lastSweep = 0;

  constructor(opts: RunnerOptions) {
    this.#opts = opts;
    this.#tune = jobTunables(opts.config);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** A job was committed: look now rather than at the next poll. */
  notify(): void {
    this.#wake?.();
  }

  /**
   * A dispatcher delivered this job: claim it if this process has room, or gets some within a
   * heartbeat. Refuses (rejects) when full or stopping, so the message can go to another worker; a
   * job someone else already holds, finished or cancelled is no refusal — there is nothing to do.
   * A refused job is not stranded: whichever runner frees a slot first claims the oldest waiting row.
   */
  async offer(progressId: string): Promise<void> {
    const { store, clock, handlers } = this.#opts;
    if (!(await this.#reserveSlot(this.#tune.offerWaitMs))) throw new Error(this.#stopping ? 'worker is stopping' : 'worker is full');
    try {
      const job = await claimNext(store.db, this.owner, this.#tune.leaseMs, clock(), Object.keys(handlers), progressId);
      if (job) this.#start(job);
    } finally {
      this.#reserved--;
    }
  }

  #hasRoom(): boolean {
    return this.#running.size + this.#reserved < this.#tune.concurrency;
  }

  async #reserveSlot(waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (!this.#stopping && !this.#hasRoom()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.#slotWaiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.#slotWaiters.add(done);
      });
    }
    if (this.#stopping) return false;
    this.#reserved++;
    return true;
  }

  #slotFreed(): void {
    for (const waiter of [...this.#slotWaiters]) waiter();
    this.#wake?.();
  }

  /**
   * Aborts a job running in this process because it was cancelled here. A cancel made in another
   * process reaches the job through its heartbeat, with the same reason.
   */
  abort(progressId: string): void {
    this.#running.get(progressId)?.controller.abort(new JobAborted({ kind: 'cancelled' }));
  }

  /** Stops taking jobs, lets running ones finish within the grace period, then hands the rest back. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#slotFreed();
    await this.#loop;
    const pending = [...this.#running.values()].map((r) => r.done);
    const grace = new Promise((r) => setTimeout(r, this.#tune.shutdownGraceMs).unref());
    await Promise.race([Promise.all(pending), grace]);
    for (const r of this.#running.values()) r.controller.abort(new JobAborted({ kind: 'shutdown' }));
    await Promise.all([...this.#running.values()].map((r) => r.done));
    const released = await releaseOwned(this.#opts.store.db, this.owner, this.#now());
    if (released) this.#opts.log.info({ released }, 'handed unfinished jobs back');
  }

  #now(): string {
    return isoNow(this.#opts.clock);
  }

  async #run(): Promise<void> {
    const pollMs = this.#opts.pollMs ?? this.#tune.embeddedPollMs;
    let failures = 0;
    while (!this.#stopping) {
      try {
        await this.#sweep();
        while (!this.#stopping && this.#hasRoom()) {
          const job = await claimNext(this.#opts.store.db, this.owner, this.#tune.leaseMs, this.#opts.clock(), Object.keys(this.#opts.handlers));
          if (!job) break;
          this.#start(job);
        }
        failures = 0;
      } catch (err) {
        // A lost database connection must not kill the worker: report it and try again, backing off
        // so a database that is down is not hammered.
        failures++;
        this.#opts.log.error({ err: errorText(err), failures }, 'job loop failed; retrying');
      }
      if (this.#stopping) break;
      const delayMs = failures ? Math.min(pollMs * 2 ** failures, this.#tune.loopBackoffMaxMs) : pollMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(t);
          // Woken by a submit: the claim (which reads the job's request back) takes a turn of the
          // event loop of its own, not the end of the one that committed the job.
          setImmediate(resolve);
        };
      });
      this.#wake = null;
    }
  }

  /** Jobs whose worker died too often are failed with a reason instead of waiting forever. */
  async #sweep(): Promise<void> {
    const now = this.#opts.clock();
    if (now.getTime() - this.#lastSweep < this.#tune.sweepMs) return;
    this.#lastSweep = now.getTime();
    await endJob(this.#opts.store, { cause: 'given_up', at: now }, this.#now());
  }

  #start(job: Row<'jobs'>): void {
    const controller = new AbortController();
    const lease: Lease = { jobId: job.id, owner: this.owner, attempt: job.attempts };
    // A job runs under the scope of the key that started it: one limited to a project reaches only
    // that project, in the worker as in its requests. Never under the scope of whatever woke the runner.
    const done = outsideProjectScope(() =>
      keyProjectScope(this.#opts.store.db, job.created_by).then((scope) =>
        scope === null ? this.#execute(job, lease, controller) : withProjectScope(scope, () => this.#execute(job, lease, controller)),
      ),
    )
      .catch(async (err) => {
        this.#opts.log.error({ err: errorText(err), job: job.progress_id }, 'job crashed');
        // Keep the reason and free the job for another attempt now, rather than after its lease.
        await recordAttemptFailure(this.#opts.store.db, lease, errorText(err), this.#opts.clock()).catch(() => {});
      })
      .finally(() => {
        this.#running.delete(job.progress_id);
        this.#slotFreed();
      });
    this.#running.set(job.progress_id, { controller, done });
  }

  async #execute(job: Row<'jobs'>, lease: Lease, controller: AbortController): Promise<void> {
    const { store, clock, log } = this.#opts;
    const handler = this.#opts.handlers[job.kind as JobKind]!;
    // One query renews the lease, hears of a cancel made anywhere, and tells when the job is no longer ours.
    const check = () =>
      heartbeat(store.db, lease, this.#tune.leaseMs, clock())
        .then((h) => {
          if (h.cancelRequested) controller.abort(new JobAborted({ kind: 'cancelled' }));
          else if (!h.owned) controller.abort(new JobAborted({ kind: 'lease_lost' }));
        })
        .catch((err) => log.warn({ err: errorText(err), job: job.progress_id }, 'heartbeat failed'));
    // The lease is renewed until the end is written: an apply's final transaction can outlast a
    // lease, and a lease lost meanwhile hands the job to another claim, which rolls this end back.
    const beat = setInterval(() => void check(), this.#tune.heartbeatMs);
    beat.unref();
    try {
      await this.#runAndFinish(job, lease, controller, handler, check);
    } finally {
      clearInterval(beat);
    }
  }

  /** Runs the job's handler and writes its end, under the lease #execute keeps renewed. */
  async #runAndFinish(job: Row<'jobs'>, lease: Lease, controller: AbortController, handler: JobHandler, check: () => Promise<void>): Promise<void> {
    const { store, engine, log } = this.#opts;
    let outcome: JobOutcome;
    try {
      // A job claimed as it is submitted starts in a turn of the event loop of its own, and takes
      // its request as submitted when that was here: an apply's is megabytes to parse again.
      await yieldToEventLoop();
      const request: unknown = takeSubmitted(job.progress_id) ?? JSON.parse(job.request);
      outcome = await handler({
        db: store.db,
        job,
        request,
        engine,
        budget: await budgetFor(store.db, this.#opts.config, job, request),
        signal: controller.signal,
        now: () => this.#now(),
        keptBatches: () => keptBatches(store.db, job.id),
        progress: async (done, total, usage, finished) => {
          const written = finished
            ? await keepBatch(store.db, lease, finished, { done, total, usage: usage ?? finished.usage }, this.#now())
            : await setProgress(store.db, lease, done, total, usage, this.#now());
          if (written) {
            store.jobEvents.changed(job.progress_id);
            return;
          }
          // Refused: the job was cancelled or is someone else's now; the heartbeat says which.
          await check();
          if (!controller.signal.aborted) controller.abort(new JobAborted({ kind: 'lease_lost' }));
        },
      });
    } catch (err) {
      if (controller.signal.aborted) return this.#aborted(job, controller.signal);
      log.error({ err: errorText(err), job: job.progress_id }, 'job failed');
      outcome = failedOutcome(job, `The job failed: ${errorText(err)}`, (err as { usage?: TokenUsage }).usage);
    }
    if (controller.signal.aborted) return this.#aborted(job, controller.signal);
    try {
      await this.#finish(job, lease, storableOutcome(job, outcome));
    } catch (err) {
      // A write refused for its data would be refused on every retry: the job ends now, saying why.
      if (isDataError(err)) return this.#finish(job, lease, failedOutcome(job, refusedWrite(err), outcome.usage, 'invalid_data'));
      if (!(err instanceof OutcomeInstead)) throw err;
      await this.#finish(job, lease, storableOutcome(job, err.outcome));
    }
  }

  /** An aborted job leaves its end to whoever stopped it (see statusAfterAbort); this worker only says why it stopped. */
  #aborted(job: Row<'jobs'>, signal: AbortSignal): void {
    const reason = abortReasonOf(signal) ?? { kind: 'lease_lost' as const };
    this.#opts.log.info({ job: job.progress_id, reason: reason.kind, status: statusAfterAbort(reason) }, 'job aborted');
  }

  /** Cancelled or re-claimed while finishing: nothing is written and the job's state stands. */
  async #finish(job: Row<'jobs'>, lease: Lease, outcome: JobOutcome): Promise<void> {
    // Priced here, where the configuration is: the stored usage says what the job cost. (Set, not
    // spread: an apply's reply is a getter read after its commit.)
    outcome.usage = pricedUsage(this.#opts.config, outcome.usage);
    await endJob(this.#opts.store, { cause: 'outcome', job, lease, outcome }, this.#now());
  }
}
