import pg from 'pg';
import { boundToCurrentScope } from './key-scope.js';

/**
 * Word that a job's status or progress changed, so whoever follows it (a stream, a long poll, the
 * cache of running jobs) reads it again at once instead of re-reading on a timer. The job row stays
 * the truth: an event carries only the job's id, and a follower that may have missed some (a lost
 * connection, a write by another process on SQLite) is simply told to read again.
 */
export interface JobEvents {
  /** Says the job changed; call it after the change is committed. Never throws. */
  changed(progressId: string): void;
  /** Calls `listener` each time the job changes, in this process or another. Returns the unsubscribe. */
  subscribe(progressId: string, listener: () => void): () => void;
  /** How many jobs this process follows right now. */
  readonly followed: number;
  /**
   * Whether every change committed until now has been heard, so what was read since the last word
   * may be answered from memory (on PostgreSQL: while its LISTEN connection is up). On SQLite it
   * first looks whether another process wrote the file (which sends no word) and, if so, tells
   * every follower to read again.
   */
  fresh(): boolean;
}

/** Word that API keys were revoked, so a process's cache of verified keys is emptied at once. */
export interface KeyEvents {
  /** Says this process revoked a key (other processes hear of it from the database: migration 095, or the file on SQLite). */
  revoked(): void;
  /** Calls `listener` when a key may have been revoked anywhere (or word may have been missed). Returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** As JobEvents.fresh: whether every revocation committed until now has been heard. */
  fresh(): boolean;
}

/** A store's word of changes: jobs and keys, over one LISTEN connection on PostgreSQL. */
export interface ChangeEvents {
  jobs: JobEvents;
  keys: KeyEvents;
  close(): Promise<void>;
}

/** The PostgreSQL channels; the payload of a job's is its progress id. */
export const JOB_CHANNEL = 'scenarist_job_changed';
export const KEYS_CHANNEL = 'scenarist_keys_revoked';
/** The LISTEN connection's application_name, as pg_stat_activity shows it. */
export const LISTENER_NAME = 'scenarist listener';

type Listener = () => void;

/** The listeners of this process: by job, and for revocations. */
class LocalEvents {
  readonly #jobs = new Map<string, Set<Listener>>();
  readonly #keys = new Set<Listener>();

  get followed(): number {
    return this.#jobs.size;
  }

  get listeners(): number {
    return this.#jobs.size + this.#keys.size;
  }

  emit(progressId: string): void {
    const set = this.#jobs.get(progressId);
    if (set) for (const l of [...set]) l();
  }

  emitKeys(): void {
    for (const l of [...this.#keys]) l();
  }

  /** Word may have been missed: every job is read again and every verified key forgotten. */
  emitAll(): void {
    for (const id of [...this.#jobs.keys()]) this.emit(id);
    this.emitKeys();
  }

  subscribe(progressId: string, listener: Listener, onFirst?: () => void): () => void {
    let set = this.#jobs.get(progressId);
    if (!set) {
      this.#jobs.set(progressId, (set = new Set()));
      onFirst?.();
    }
    // Heard in the subscriber's own context (its key's project scope), not in that of whoever emitted.
    const bound = boundToCurrentScope(listener);
    set.add(bound);
    return () => {
      set.delete(bound);
      if (!set.size && this.#jobs.get(progressId) === set) this.#jobs.delete(progressId);
    };
  }

  subscribeKeys(listener: Listener): () => void {
    this.#keys.add(listener);
    return () => this.#keys.delete(listener);
  }
}

/** How often SQLite followers look for writes made by another process, which send no word. */
const FOREIGN_WRITES_CHECK_MS = 100;
/** A read from memory looks again at most this often: a look costs several microseconds, a poll not many more. */
const FOREIGN_WRITES_FRESH_MS = 5;

/**
 * The embedded deployment: the runner writing the job runs in this process, so its word is enough.
 * Another process sharing the SQLite file (a separate `scenarist worker`, `scenarist keys revoke`)
 * cannot reach us, but its commits move `foreignWrites` (SQLite's data_version of our connection):
 * a read from memory looks at it first (at most every 5 ms), and streams are told within
 * a tenth of a second. Any such commit makes every follower read again, whatever it changed.
 */
export function localEvents(foreignWrites: () => number = () => 0): ChangeEvents {
  const local = new LocalEvents();
  let seen = foreignWrites();
  let lookedAt = Number.NEGATIVE_INFINITY;
  const look = () => {
    lookedAt = performance.now();
    const now = foreignWrites();
    if (now !== seen) {
      seen = now;
      local.emitAll();
    }
  };
  const fresh = () => {
    if (performance.now() - lookedAt >= FOREIGN_WRITES_FRESH_MS) look();
    return true;
  };
  const timer = setInterval(() => {
    if (local.listeners) look();
  }, FOREIGN_WRITES_CHECK_MS);
  timer.unref();
  return {
    jobs: {
      changed: (id) => local.emit(id),
      subscribe: (id, l) => local.subscribe(id, l),
      get followed() {
        return local.followed;
      },
      fresh,
    },
    keys: { revoked: () => local.emitKeys(), subscribe: (l) => local.subscribeKeys(l), fresh },
    async close() {
      clearInterval(timer);
    },
  };
}

/** How often the LISTEN connection is asked whether it is alive, and how long it may take to answer. */
const LISTEN_CHECK_MS = 5_000;
const LISTEN_TIMEOUT_MS = 3_000;

/**
 * Many processes on PostgreSQL: the database sends word of each change with NOTIFY, from triggers
 * in the transaction that makes it (migrations 095 and 096), and each process hears it on one
 * LISTEN connection of its own (opened when it first follows a job or key revocations). A
 * process's own changes reach its followers at once as well, without the round trip. While that
 * connection is down nothing is answered from memory, and once it is back every follower reads
 * again; a connection that stops answering (a network gone quiet) counts as down within seconds.
 */
export function pgEvents(url: string, log: (err: Error) => void = () => {}): ChangeEvents {
  const local = new LocalEvents();
  let listener: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let retryMs = 250;
  let watchdog: ReturnType<typeof setInterval> | undefined;

  const listen = (): Promise<void> => {
    connecting ??= (async () => {
      const client = new pg.Client({ connectionString: url, keepAlive: true, query_timeout: LISTEN_TIMEOUT_MS, application_name: LISTENER_NAME });
      client.on('notification', (m) => {
        if (m.channel === KEYS_CHANNEL) local.emitKeys();
        else if (m.payload) local.emit(m.payload);
      });
      client.on('error', (err) => {
        log(err);
        if (listener === client) lost();
      });
      client.on('end', () => {
        if (listener === client) lost();
      });
      try {
        await client.connect();
        await client.query(`listen ${JOB_CHANNEL}; listen ${KEYS_CHANNEL}`);
        listener = client;
        retryMs = 250;
        watchdog = setInterval(() => {
          client.query('select 1').catch((err: Error) => {
            log(err);
            if (listener !== client) return;
            lost();
            void client.end().catch(() => {});
          });
        }, LISTEN_CHECK_MS);
        watchdog.unref();
        // Changes made while no one listened were missed: every follower reads again.
        local.emitAll();
      } catch (err) {
        log(err as Error);
        await client.end().catch(() => {});
        retry();
      } finally {
        connecting = null;
      }
    })();
    return connecting;
  };
  const retry = () => {
    if (closed || !local.listeners) return;
    setTimeout(() => void listen(), retryMs).unref();
    retryMs = Math.min(retryMs * 2, 10_000);
  };
  const lost = () => {
    listener = null;
    clearInterval(watchdog);
    // What was read from memory may miss a change from now on: forget it at once.
    local.emitAll();
    retry();
  };
  const ensureListening = () => {
    if (!listener && !closed) void listen();
  };
  const fresh = () => listener !== null;

  return {
    jobs: {
      // The other processes hear of it from the database's own NOTIFY (migration 096).
      changed: (id) => local.emit(id),
      subscribe: (id, l) => local.subscribe(id, l, ensureListening),
      get followed() {
        return local.followed;
      },
      fresh,
    },
    keys: {
      revoked: () => local.emitKeys(),
      subscribe(l) {
        const unsubscribe = local.subscribeKeys(l);
        ensureListening();
        return unsubscribe;
      },
      fresh,
    },
    async close() {
      closed = true;
      await connecting;
      clearInterval(watchdog);
      const c = listener;
      listener = null;
      await c?.end().catch(() => {});
    },
  };
}
