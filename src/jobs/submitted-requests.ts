/**
 * Requests of jobs submitted in this process, kept as objects for this process's runner for a
 * short while: an apply's request is megabytes, and parsing its stored text again costs the runner
 * a long turn of the event loop. A runner elsewhere (a separate worker, or a retry after the entry
 * was taken or expired) parses the stored text, which says the same. Keyed by progress id, unique
 * across the databases one process may serve.
 */
const kept = new Map<string, unknown>();

/** How long a request waits for this process's runner before only its stored text is left. */
const KEEP_MS = 60_000;

export function keepSubmitted(progressId: string, request: unknown): void {
  kept.set(progressId, request);
  setTimeout(() => kept.delete(progressId), KEEP_MS).unref();
}

/** The request as submitted here, once; undefined when it was not, or was taken already. */
export function takeSubmitted(progressId: string): unknown {
  const request = kept.get(progressId);
  kept.delete(progressId);
  return request;
}
