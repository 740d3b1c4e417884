import { APICallError } from 'ai';

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export interface CallPolicyOptions {
  /** Longest one model call may take before it is abandoned (and retried). */
  timeoutMs: number;
  /** Retries after the first attempt, for rate limits, server errors, network errors and timeouts. */
  maxRetries: number;
  /** Model calls in flight at once across every job of the process. */
  concurrency: number;
  /** First backoff delay; it doubles on every retry. */
  retryBaseMs?: number;
  /** No wait between attempts is longer than this, whatever Retry-After says. */
  retryMaxMs?: number;
  sleep?: Sleep;
  random?: () => number;
}

/** A counting semaphore whose waiters leave the queue when their signal aborts. */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  get available(): number {
    return this.#free;
  }

  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.#free > 0) {
      this.#free--;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(grant);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal.reason);
      };
      this.#waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // A permit passes straight to the next waiter; otherwise it is free again.
      if (next) next();
      else this.#free++;
    };
  }
}

/**
 * A model call that did not succeed, with what it cost, worded for the person reading the job.
 * `fatal` marks a provider answer no retry can fix (bad key, no access, unknown model, invalid
 * request): the job ends at once instead of sending its other batches to the same refusal.
 * `retryable` marks a passing cause (a timeout, an outage, a rate limit) that outlasted the
 * retries: the same request sent again later may well succeed.
 */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
  readonly fatal: boolean;
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly attempts: number,
    readonly usage: { input_tokens: number; output_tokens: number; model_calls: number },
    options?: { cause?: unknown; fatal?: boolean; retryable?: boolean },
  ) {
    super(message, options);
    this.fatal = options?.fatal ?? false;
    this.retryable = options?.retryable ?? false;
  }
}

class CallTimeout extends Error {}

/** Seconds or an HTTP date in Retry-After (or milliseconds in retry-after-ms), as a delay in ms. */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | null {
  if (!headers) return null;
  const get = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const ms = Number(get('retry-after-ms'));
  if (get('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = get('retry-after')?.trim();
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

// What a refusal means for the person fixing it.
const REFUSALS: Record<number, string> = {
  400: 'rejected the request as invalid',
  401: 'rejected the API key',
  403: 'denied access to the model',
  404: 'does not know the model (or the endpoint)',
  422: 'rejected the request as invalid',
};

function describe(err: unknown, timeoutMs: number): { text: string; retryable: boolean; fatal?: boolean } {
  if (err instanceof CallTimeout) return { text: `the model did not answer within ${timeoutMs} ms`, retryable: true };
  if (APICallError.isInstance(err)) {
    if (err.statusCode === undefined) return { text: `could not reach the model provider (${err.message})`, retryable: true };
    if (err.statusCode < 400)
      return { text: `the model provider's answer was not a chat completion (HTTP ${err.statusCode}: ${err.message.slice(0, 300)})`, retryable: false };
    const retryable = err.statusCode === 429 || err.statusCode >= 500 || err.statusCode === 408 || err.isRetryable;
    const what = err.statusCode === 429 ? 'rate limited the request' : retryable ? 'had an error' : (REFUSALS[err.statusCode] ?? 'refused the request');
    return { text: `the model provider ${what} (HTTP ${err.statusCode}: ${err.message.slice(0, 300)})`, retryable, fatal: !retryable };
  }
  const message = err instanceof Error ? err.message : String(err);
  // Network failures that reach us outside an APICallError (reset sockets, DNS) are worth another try.
  const network = err instanceof TypeError || /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed/i.test(message);
  return { text: network ? `could not reach the model provider (${message})` : message, retryable: network };
}

/**
 * How every model call is made: at most `concurrency` at once in the process, each limited to
 * `timeoutMs`, retried with exponential backoff and jitter (or the provider's Retry-After) on rate
 * limits, server and network errors, and abandoned at once when the job's signal aborts.
 */
export class CallPolicy {
  readonly #semaphore: Semaphore;
  readonly #opts: Required<Omit<CallPolicyOptions, 'concurrency'>>;

  constructor(opts: CallPolicyOptions) {
    this.#semaphore = new Semaphore(opts.concurrency);
    this.#opts = {
      timeoutMs: opts.timeoutMs,
      maxRetries: opts.maxRetries,
      retryBaseMs: opts.retryBaseMs ?? 1_000,
      retryMaxMs: opts.retryMaxMs ?? 60_000,
      sleep: opts.sleep ?? realSleep,
      random: opts.random ?? Math.random,
    };
  }

  get semaphore(): Semaphore {
    return this.#semaphore;
  }

  /** The wait before retry number `retry` (1-based): the larger of the backoff and Retry-After. */
  delayFor(retry: number, err: unknown): number {
    const exp = Math.min(this.#opts.retryMaxMs, this.#opts.retryBaseMs * 2 ** (retry - 1));
    const backoff = exp / 2 + this.#opts.random() * (exp / 2);
    const hinted = APICallError.isInstance(err) ? retryAfterMs(err.responseHeaders) : null;
    return Math.min(this.#opts.retryMaxMs, Math.max(backoff, hinted ?? 0));
  }

  /**
   * Runs `call` under the policy. Returns its value with the number of requests made; throws a
   * ModelCallError once retries are spent, or the job's abort reason when it is cancelled.
   */
  async run<T>(signal: AbortSignal, call: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
    const { timeoutMs, maxRetries, sleep } = this.#opts;
    for (let attempt = 1; ; attempt++) {
      let err: unknown;
      const release = await this.#semaphore.acquire(signal);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new CallTimeout()), timeoutMs);
      try {
        return { value: await call(AbortSignal.any([signal, timeout.signal])), attempts: attempt };
      } catch (e) {
        err = timeout.signal.aborted && !signal.aborted ? timeout.signal.reason : e;
      } finally {
        clearTimeout(timer);
        release();
      }
      if (signal.aborted) throw signal.reason;
      const { text, retryable, fatal } = describe(err, timeoutMs);
      if (!retryable || attempt > maxRetries) {
        const tries = attempt === 1 ? '' : ` (gave up after ${attempt} attempts)`;
        throw new ModelCallError(
          `${text[0]!.toUpperCase()}${text.slice(1)}${tries}.`,
          attempt,
          { input_tokens: 0, output_tokens: 0, model_calls: attempt },
          { cause: err, fatal, retryable },
        );
      }
      await sleep(this.delayFor(attempt, err), signal);
    }
  }
}
