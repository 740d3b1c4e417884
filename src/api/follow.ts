import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { JobEvents } from '../store/job-events.js';

/** The longest a long poll holds a request, in seconds: under the usual proxy idle timeouts. */
export const MAX_WAIT_SECONDS = 60;

/** `&wait=N` on a progress route: answer once the status or progress changes, or after N seconds. */
export const waitQuery = () =>
  z.coerce
    .number()
    .min(0)
    .max(MAX_WAIT_SECONDS)
    .optional()
    .describe(`Long poll: answer as soon as the status or progress changes, or after this many seconds (at most ${MAX_WAIT_SECONDS}) with the state as it is`);

/** A job as its progress route answers it. */
export interface FollowedJob<T> {
  progressId: string;
  /** The answer a poll gives now. */
  read(): Promise<T>;
  /** What a long poll waits for a change of: the status and the progress. */
  stateOf(answer: T): string;
  isFinal(answer: T): boolean;
}

/** How often an open stream sends a comment, so proxies and clients do not take it for dead. */
const KEEPALIVE_MS = 15_000;

/**
 * Sends JSON text made beforehand (a cached answer) as Fastify sends JSON, without serializing it
 * again. The route's schema still documents the answer; the text was made from the same builder.
 */
export function sendJsonText(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

export const wantsEventStream = (req: FastifyRequest): boolean => /\btext\/event-stream\b/.test(req.headers.accept ?? '');

/**
 * Calls `onChange` each time the job may have changed, one read at a time: a change that arrives
 * during a read is read once more after it, so the last one is never lost.
 */
function watch<T>(events: JobEvents, job: FollowedJob<T>, onRead: (answer: T) => void, onError: (err: unknown) => void): () => void {
  let reading = false;
  let again = false;
  let stopped = false;
  const check = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const answer = await job.read();
        if (!stopped) onRead(answer);
      } while (again && !stopped);
    } catch (err) {
      if (!stopped) onError(err);
    } finally {
      reading = false;
    }
  };
  // Read after every listener heard the word (in a microtask), so a cache that drops the job on it
  // has dropped it before this read.
  const unsubscribe = events.subscribe(job.progressId, () => queueMicrotask(() => void check()));
  // A change between the caller's first read and the subscription would otherwise go unheard.
  void check();
  return () => {
    stopped = true;
    unsubscribe();
  };
}

/**
 * Answers `first` at once if the job is final, else holds the request until its state differs
 * from `first`'s, it ends, or `seconds` pass (then with the state as it is). The wait ends on word
 * from the job's writer, not on a timer re-reading the database.
 */
export function longPoll<T>(req: FastifyRequest, events: JobEvents, job: FollowedJob<T>, first: T, seconds: number): Promise<T> {
  if (job.isFinal(first) || seconds <= 0) return Promise.resolve(first);
  const start = job.stateOf(first);
  return new Promise<T>((resolve, reject) => {
    let last = first;
    const finish = (answer: T | null, err?: unknown) => {
      clearTimeout(timer);
      stop();
      req.raw.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(answer ?? last);
    };
    const onClose = () => finish(null);
    const stop = watch(
      events,
      job,
      (answer) => {
        last = answer;
        if (job.isFinal(answer) || job.stateOf(answer) !== start) finish(answer);
      },
      (err) => finish(null, err),
    );
    const timer = setTimeout(() => finish(null), seconds * 1000);
    req.raw.once('close', onClose);
  });
}

/**
 * Answers with a stream of server-sent events: the state at once, then each change, each one the
 * JSON a poll returns (`event: progress`), and the final answer (`event: final`), after which the
 * stream ends. A job that can no longer be read ends the stream with `event: error`.
 */
export function streamEvents<T>(req: FastifyRequest, reply: FastifyReply, events: JobEvents, job: FollowedJob<T>, first: T): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies that buffer responses (nginx) would hold the events back.
    'x-accel-buffering': 'no',
  });
  let last = '';
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    stop?.();
    res.end();
  };
  const send = (answer: T) => {
    if (ended) return;
    const data = JSON.stringify(answer);
    if (data === last) return;
    last = data;
    const final = job.isFinal(answer);
    res.write(`event: ${final ? 'final' : 'progress'}\ndata: ${data}\n\n`);
    if (final) end();
  };
  const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
  let stop: (() => void) | undefined;
  req.raw.once('close', end);
  send(first);
  if (ended) return;
  stop = watch(events, job, send, (err) => {
    if (ended) return;
    res.write(`event: error\ndata: ${JSON.stringify({ detail: err instanceof Error ? err.message : String(err) })}\n\n`);
    end();
  });
}

/**
 * A progress route's answer by what the client asked: a stream, a long poll, or the state now.
 * Returns undefined when the reply was taken over by a stream.
 */
export async function answerProgress<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  events: JobEvents,
  job: FollowedJob<T>,
  wait: number | undefined,
): Promise<T | undefined> {
  const first = await job.read();
  if (wantsEventStream(req)) {
    // Hijacked: Fastify sends nothing for it.
    streamEvents(req, reply, events, job, first);
    return undefined;
  }
  return wait ? longPoll(req, events, job, first, wait) : first;
}
