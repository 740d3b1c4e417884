import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import { retryDelayMs, webhookHeaders, webhookUrlProblem } from '../domain/webhooks.js';
import type { Store } from '../store/db.js';
import { type AttemptRecord, claimDueDeliveries, type DueDelivery, recordAttempt } from '../store/webhooks.js';
import type { RunnerLog } from './runner.js';
import { AddressRefused, postWebhook } from './webhook-post.js';

const BATCH = 20;

/**
 * Sends queued webhook deliveries from a worker process (never from an API-only one, whose
 * requests must not wait on receivers): due rows are claimed, signed, posted, and the answer
 * recorded; a failure is retried with exponential backoff until the delivery's 24 hours are up.
 * Everything lives in the rows, so a restart picks up where the last process stopped.
 */
export class WebhookSender {
  readonly #store: Store;
  readonly #config: Config['webhooks'];
  readonly #clock: Clock;
  readonly #log: RunnerLog;
  #timer: NodeJS.Timeout | null = null;
  #busy: Promise<void> | null = null;
  #stopped = false;

  constructor(opts: { store: Store; config: Config; clock: Clock; log: RunnerLog }) {
    this.#store = opts.store;
    this.#config = opts.config.webhooks;
    this.#clock = opts.clock;
    this.#log = opts.log;
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#busy = this.sendDue()
        .then(() => {})
        .catch((err) => this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook deliveries could not be sent'))
        .finally(() => {
          this.#busy = null;
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#config.pollMs).unref();
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#busy;
  }

  /** Sends what is due now; answers how many were tried. */
  async sendDue(): Promise<number> {
    const now = this.#clock();
    const lease = new Date(now.getTime() + this.#config.timeoutMs * 2).toISOString();
    const due = await claimDueDeliveries(this.#store.db, now.toISOString(), lease, BATCH);
    await Promise.all(due.map((d) => this.#send(d)));
    return due.length;
  }

  async #send(d: DueDelivery): Promise<void> {
    const problem = !d.enabled ? 'The webhook is disabled.' : webhookUrlProblem(d.url, this.#config.allowedHosts);
    const started = performance.now();
    let attempt: Omit<AttemptRecord, 'outcome'> & { ok: boolean; retry: boolean };
    if (problem) {
      attempt = { statusCode: null, latencyMs: 0, error: problem, ok: false, retry: false };
    } else {
      const timestamp = Math.floor(this.#clock().getTime() / 1000);
      try {
        const status = await postWebhook(d.url, webhookHeaders(d.secret, d.message_id, timestamp, d.payload), d.payload, {
          timeoutMs: this.#config.timeoutMs,
          allowed: this.#config.allowedHosts,
        });
        const ok = status >= 200 && status < 300;
        const error = ok
          ? null
          : status >= 300 && status < 400
            ? `The receiver answered ${status}; deliveries do not follow redirects.`
            : `The receiver answered ${status}.`;
        attempt = { statusCode: status, latencyMs: performance.now() - started, error, ok, retry: !ok };
      } catch (err) {
        // An address the allow-list does not reach is not tried again: it is not a passing failure.
        const refused = err instanceof AddressRefused;
        attempt = {
          statusCode: null,
          latencyMs: performance.now() - started,
          error: err instanceof Error ? err.message : String(err),
          ok: false,
          retry: !refused,
        };
      }
    }
    const now = this.#clock();
    const retryAt = new Date(now.getTime() + retryDelayMs(d.attempts + 1, this.#config.retryBaseMs)).toISOString();
    const outcome: AttemptRecord['outcome'] = attempt.ok ? { delivered: true } : attempt.retry && retryAt <= d.give_up_at ? { retryAt } : { failed: true };
    await recordAttempt(
      this.#store.db,
      d.id,
      { statusCode: attempt.statusCode, latencyMs: attempt.latencyMs, error: attempt.error, outcome },
      now.toISOString(),
    );
  }
}
