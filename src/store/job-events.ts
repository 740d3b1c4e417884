import pg from 'pg';
import { boundToCurrentScope } from './key-scope.js';

/**
 * Word that a job's status or progress changed, so whoever follows it (a stream, a long poll)
 * reads it again at once instead of re-reading on a timer. The job row stays the truth: an event
 * carries only the job's id, and a follower that may have missed some (a lost connection) is
 * simply told to read again.
 */
export interface JobEvents {
  /** Says the job changed; call it after the change is committed. Never throws. */
  changed(progressId: string): void;
  /** Calls `listener` each time the job changes, in this process or another. Returns the unsubscribe. */
  subscribe(progressId: string, listener: () => void): () => void;
  /** How many jobs this process follows right now. */
  readonly followed: number;
  /** Whether word of every change reaches this process now (on PostgreSQL: its LISTEN connection is up). */
  readonly live: boolean;
  close(): Promise<void>;
}

type Listener = () => void;

/** The listeners of this process, by job. */
class LocalEvents {
  readonly #listeners = new Map<string, Set<Listener>>();

  get followed(): number {
    return this.#listeners.size;
  }

  emit(progressId: string): void {
    const set = this.#listeners.get(progressId);
    if (set) for (const l of [...set]) l();
  }

  emitAll(): void {
    for (const id of [...this.#listeners.keys()]) this.emit(id);
  }

  subscribe(progressId: string, listener: Listener, onFirst?: () => void): () => void {
    let set = this.#listeners.get(progressId);
    if (!set) {
      this.#listeners.set(progressId, (set = new Set()));
      onFirst?.();
    }
    // Heard in the subscriber's own context (its key's project scope), not in that of whoever emitted.
    const bound = boundToCurrentScope(listener);
    set.add(bound);
    return () => {
      set.delete(bound);
      if (!set.size && this.#listeners.get(progressId) === set) this.#listeners.delete(progressId);
    };
  }
}

/**
 * The embedded deployment: the runner writing the job runs in this process, so its word is enough.
 * Another process sharing the SQLite file (a separate `scenarist worker`) cannot reach us, so jobs
 * that are followed are also read again now and then (`recheckMs`) as a safety net.
 */
export function localJobEvents(recheckMs = 2_000): JobEvents {
  const local = new LocalEvents();
  const timer = setInterval(() => local.emitAll(), recheckMs);
  timer.unref();
  return {
    changed: (id) => local.emit(id),
    subscribe: (id, l) => local.subscribe(id, l),
    get followed() {
      return local.followed;
    },
    live: true,
    async close() {
      clearInterval(timer);
    },
  };
}

const CHANNEL = 'scenarist_job_changed';

/**
 * Many processes on PostgreSQL: a change is sent with NOTIFY, and the process that holds a stream
 * hears it on one LISTEN connection of its own (opened when it first follows a job). Its own
 * changes reach its followers at once, without the round trip.
 */
export function pgJobEvents(pool: pg.Pool, url: string, log: (err: Error) => void = () => {}): JobEvents {
  const local = new LocalEvents();
  let listener: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let retryMs = 250;

  const listen = (): Promise<void> => {
    connecting ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('notification', (m) => {
        if (m.payload) local.emit(m.payload);
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
        await client.query(`listen ${CHANNEL}`);
        listener = client;
        retryMs = 250;
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
    if (closed || !local.followed) return;
    setTimeout(() => void listen(), retryMs).unref();
    retryMs = Math.min(retryMs * 2, 10_000);
  };
  const lost = () => {
    listener = null;
    retry();
  };

  return {
    changed(id) {
      local.emit(id);
      pool.query('select pg_notify($1, $2)', [CHANNEL, id]).catch((err: Error) => log(err));
    },
    subscribe(id, l) {
      return local.subscribe(id, l, () => {
        if (!listener && !closed) void listen();
      });
    },
    get followed() {
      return local.followed;
    },
    get live() {
      return listener !== null;
    },
    async close() {
      closed = true;
      await connecting;
      const c = listener;
      listener = null;
      await c?.end().catch(() => {});
    },
  };
}
