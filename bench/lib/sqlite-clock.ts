import SQLite from 'better-sqlite3';

type Method = 'all' | 'run' | 'get';
type Run = (this: SQLite.Statement, ...params: unknown[]) => unknown;

/**
 * The time SQLite itself spends in the statements this process runs on writable connections while
 * the clock runs: what a piece of work costs the database, apart from the JavaScript around it. The
 * server under test runs in this process, so its statements are timed where better-sqlite3 runs
 * them (every statement shares one prototype); the read-only connection that serves other requests
 * meanwhile is left out. Timing adds two clock reads per statement, and only between start and stop.
 */
export function sqliteClock(): { start(): void; stop(): { ms: number; statements: number } } {
  const proto = Object.getPrototypeOf(new SQLite(':memory:').prepare('select 1')) as Record<Method, Run>;
  const originals: Record<Method, Run> = { all: proto.all, run: proto.run, get: proto.get };
  let ms = 0;
  let statements = 0;
  const timed = (original: Run): Run =>
    function (this: SQLite.Statement, ...params: unknown[]) {
      if (this.database.readonly) return original.apply(this, params);
      const t = performance.now();
      try {
        return original.apply(this, params);
      } finally {
        ms += performance.now() - t;
        statements++;
      }
    };
  return {
    start() {
      ms = 0;
      statements = 0;
      for (const m of ['all', 'run', 'get'] as const) proto[m] = timed(originals[m]);
    },
    stop() {
      Object.assign(proto, originals);
      return { ms, statements };
    },
  };
}
