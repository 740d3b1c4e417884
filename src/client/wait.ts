import { FINAL_STATUSES } from '../domain/jobs.js';
import { ApiError } from './errors.js';
import type { JobStatus, Progress } from './types.js';

export interface WaitOptions {
  /** Stops waiting (the job itself keeps running; cancel it to stop it). */
  signal?: AbortSignal;
  /** Called with every answer, the final one included: for a progress bar. */
  onProgress?: (progress: Progress) => void;
  /** First delay between polls, in ms (default 200). */
  initialDelayMs?: number;
  /** Longest delay between polls, in ms (default 2000). */
  maxDelayMs?: number;
  /** Polls in a row that may fail for want of an answer (network, 5xx) before waiting gives up (default 5). */
  maxFailures?: number;
  /** Called on each poll that got no answer and will be retried: for saying the server is out of reach. */
  onLost?: (error: unknown) => void;
}

/** The server did not answer, or answered that it could not right now: worth asking again. */
const isTransient = (e: unknown) => e instanceof ApiError && (e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504);

export const isFinalStatus = (status: string): boolean => FINAL_STATUSES.has(status as JobStatus);

/**
 * Polls until the job reaches a final status. The delay grows by half each time nothing moved and
 * drops back to the first delay when the progress changed, so a moving job is shown smoothly and a
 * slow one is not hammered. Polls that get no answer are retried a few times before giving up.
 */
export async function pollUntilFinal(poll: (signal?: AbortSignal) => Promise<Progress>, opts: WaitOptions = {}): Promise<Progress> {
  const first = opts.initialDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 2000;
  let delay = first;
  let last = '';
  let failures = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    let p: Progress;
    try {
      p = await poll(opts.signal);
      failures = 0;
    } catch (e) {
      // A restarting server or a dropped connection does not end the job, so it should not end the wait.
      if (!isTransient(e) || ++failures > (opts.maxFailures ?? 5)) throw e;
      opts.onLost?.(e);
      delay = Math.min(max, Math.round(delay * 1.5));
      await sleep(delay, opts.signal);
      continue;
    }
    opts.onProgress?.(p);
    if (isFinalStatus(p.status)) return p;
    const now = `${p.progress.done}/${p.progress.total}`;
    delay = now !== last ? first : Math.min(max, Math.round(delay * 1.5));
    last = now;
    await sleep(delay, opts.signal);
  }
}

/** One server-sent event: its name and its data (the lines joined). */
export interface StreamEvent {
  event: string;
  data: string;
}

/** The events of a `text/event-stream` body, as they arrive; ends with the stream. */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) yield { event, data: data.join('\n') };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Follows a job by its stream of events until a final answer, calling `onProgress` with each. When
 * no stream can be had (the server answers without one, the connection drops, a proxy cuts it), it
 * goes on by polling, so the wait ends all the same.
 */
export async function followUntilFinal(
  openStream: (signal?: AbortSignal) => Promise<Response>,
  poll: (signal?: AbortSignal) => Promise<Progress>,
  opts: WaitOptions = {},
): Promise<Progress> {
  try {
    const res = await openStream(opts.signal);
    if (res.ok && res.body && /text\/event-stream/.test(res.headers.get('content-type') ?? '')) {
      for await (const e of readEventStream(res.body)) {
        if (e.event !== 'progress' && e.event !== 'final') continue;
        const p = JSON.parse(e.data) as Progress;
        opts.onProgress?.(p);
        if (isFinalStatus(p.status)) return p;
      }
    } else await res.body?.cancel();
  } catch {
    if (opts.signal?.aborted) throw opts.signal.reason;
    // Any other failure of the stream: polling below still gets the answer (or the real error).
  }
  return pollUntilFinal(poll, opts);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
