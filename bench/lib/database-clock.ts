import SQLite from 'better-sqlite3';
import pg from 'pg';

/** The database's own time in the statements of a piece of work, apart from the JavaScript around it. */
export interface DatabaseClock {
  start(): Promise<void>;
  stop(): Promise<{ ms: number }>;
  /** What was timed, in words, for the figure's note. */
  readonly counts: string;
}

type Method = 'all' | 'run' | 'get';
type Run = (this: SQLite.Statement, ...params: unknown[]) => unknown;

/**
 * SQLite: the server under test runs in this process, so its statements are timed where
 * better-sqlite3 runs them (every statement shares one prototype), on writable connections only:
 * the read-only connection that serves other requests meanwhile is left out. Timing adds two clock
 * reads per statement, and only between start and stop.
 */
export function sqliteClock(): DatabaseClock {
  const proto = Object.getPrototypeOf(new SQLite(':memory:').prepare('select 1')) as Record<Method, Run>;
  const originals: Record<Method, Run> = { all: proto.all, run: proto.run, get: proto.get };
  let ms = 0;
  const timed = (original: Run): Run =>
    function (this: SQLite.Statement, ...params: unknown[]) {
      if (this.database.readonly) return original.apply(this, params);
      const t = performance.now();
      try {
        return original.apply(this, params);
      } finally {
        ms += performance.now() - t;
      }
    };
  return {
    counts: 'the statements on the writing connection',
    async start() {
      ms = 0;
      for (const m of ['all', 'run', 'get'] as const) proto[m] = timed(originals[m]);
    },
    async stop() {
      Object.assign(proto, originals);
      return { ms };
    },
  };
}

/**
 * PostgreSQL: the database's `active_time` (every session's time running statements) across the
 * work. A session reports it once idle for up to ten seconds, so each reading waits that long with
 * nothing running first; other requests made meanwhile are counted too.
 */
export function postgresClock(url: string): DatabaseClock {
  let before = 0;
  const read = async () => {
    await new Promise((r) => setTimeout(r, REPORTED_WITHIN_MS));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ active_time: number }>('select active_time from pg_stat_database where datname = current_database()');
      return Number(rows[0]!.active_time);
    } finally {
      await client.end();
    }
  };
  return {
    counts: "every session's time running statements in the database, other requests' included",
    async start() {
      before = await read();
    },
    async stop() {
      return { ms: (await read()) - before };
    },
  };
}
/** PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s), with a margin. */
const REPORTED_WITHIN_MS = 11_000;
