import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SelectQueryNode,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type SqliteStatement,
  type TransactionSettings,
} from 'kysely';
import { startCheckpointer } from './sqlite-checkpointer.js';

/**
 * The embedded default: one file, WAL so readers never wait for the writer, foreign keys enforced.
 * Reads outside a transaction go to a second, read-only connection: in WAL mode it sees the last
 * committed state, so a request reading while a long transaction (a 10,000-change apply) is open
 * does not wait behind it, as it would on the single connection.
 */
/**
 * Pages the writing connection keeps in memory. Reads outside transactions use the reader and its
 * default cache; the writer mostly writes, and what a COMMIT has left to write is bounded by this.
 */
const WRITER_CACHE_PAGES = 128;

export interface SqliteDialect {
  dialect: Dialect;
  /**
   * A number that moves each time another connection to the file commits: another process (a
   * separate worker, a CLI command). This process's own writes do not move it; they send word.
   */
  foreignWrites(): number;
}

export function sqliteDialect(file: string): SqliteDialect {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  let reader: SQLite.Database | null = null;
  let stopCheckpointer: (() => Promise<void>) | null = null;
  if (file !== ':memory:') {
    reader = new SQLite(file, { readonly: true });
    reader.pragma('busy_timeout = 5000');
    // A COMMIT writes what the page cache still holds and, by default, a checkpoint: both block the
    // process. A small writer cache spills a big transaction's pages to the WAL statement by
    // statement instead, and checkpoints run on a thread of their own (see startCheckpointer).
    database.pragma(`cache_size = ${WRITER_CACHE_PAGES}`);
    database.pragma('wal_autocheckpoint = 0');
    stopCheckpointer = startCheckpointer(file);
  }
  const writer = new SqliteDriver({ database: withStatementCache(database) });
  const reading = reader ? new SqliteDriver({ database: withStatementCache(reader) }) : null;
  // On the writer: the reader sees this process's commits as another connection's, the writer does
  // not. The checkpointer's passive checkpoints do not move it either.
  const dataVersion = database.prepare('PRAGMA data_version').pluck();
  return {
    dialect: {
      createDriver: () => new ReadAsideDriver(writer, reading, stopCheckpointer),
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createAdapter: () => new SqliteAdapter(),
      // biome-ignore lint/suspicious/noExplicitAny: Kysely's dialect interface hands the introspector a database of any schema.
      createIntrospector: (db: Kysely<any>) => new SqliteIntrospector(db),
    },
    foreignWrites: () => (database.open ? (dataVersion.get() as number) : -1),
  };
}

/** A connection handed out per query or transaction; it takes the writer only for what needs it. */
class RoutedConnection implements DatabaseConnection {
  /** The writer, held from a transaction's begin to its end. */
  tx: DatabaseConnection | null = null;
  constructor(private readonly driver: ReadAsideDriver) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.tx) return this.tx.executeQuery<R>(query);
    return this.driver.once(SelectQueryNode.is(query.query), (c) => c.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    if (this.tx) return yield* this.tx.streamQuery<R>(query, chunkSize);
    const all = await this.executeQuery<R>(query);
    yield all;
  }
}

/**
 * SQLite has one writer: writes and transactions take turns on the writing connection, as Kysely's
 * own driver does. A SELECT outside a transaction reads on the read-only connection instead.
 */
class ReadAsideDriver implements Driver {
  constructor(
    private readonly writer: SqliteDriver,
    private readonly reader: SqliteDriver | null,
    private readonly stopCheckpointer: (() => Promise<void>) | null = null,
  ) {}

  async init(): Promise<void> {
    await this.writer.init();
    await this.reader?.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this);
  }

  /** One statement outside a transaction, on the reader when it only reads. */
  async once<T>(read: boolean, run: (c: DatabaseConnection) => Promise<T>): Promise<T> {
    const driver = read && this.reader ? this.reader : this.writer;
    const c = await driver.acquireConnection();
    try {
      return await run(c);
    } finally {
      await driver.releaseConnection();
    }
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    const c = connection as RoutedConnection;
    c.tx = await this.writer.acquireConnection();
    try {
      await this.writer.beginTransaction(c.tx);
    } catch (err) {
      await this.#releaseWriter(c);
      throw err;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as RoutedConnection;
    try {
      await this.writer.commitTransaction(c.tx!);
    } finally {
      await this.#releaseWriter(c);
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as RoutedConnection;
    try {
      await this.writer.rollbackTransaction(c.tx!);
    } finally {
      await this.#releaseWriter(c);
    }
  }

  async #releaseWriter(c: RoutedConnection): Promise<void> {
    const tx = c.tx;
    c.tx = null;
    if (tx) await this.writer.releaseConnection();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A transaction that ended without commit or rollback (it cannot, in Kysely) would hold the writer.
    await this.#releaseWriter(connection as RoutedConnection);
  }

  async destroy(): Promise<void> {
    await this.stopCheckpointer?.();
    await this.reader?.destroy();
    await this.writer.destroy();
  }
}

/**
 * Kysely prepares every query anew, and preparing costs more than running a small query. The same
 * few hundred SQL texts repeat (parameters are bound, not inlined), so the most recent `max` stay
 * prepared. A statement still being iterated is never handed out twice.
 */
export function withStatementCache(database: SQLite.Database, max = 500): SqliteDatabase {
  const cache = new Map<string, CachedStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      const hit = cache.get(sql);
      if (hit && !hit.busy) {
        // Re-inserted so the Map's order is least recently used first.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = withFastRows(database.prepare(sql));
      if (hit) return stmt;
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
      return stmt;
    },
  };
}

type CachedStatement = SqliteStatement & { readonly busy: boolean };

/**
 * better-sqlite3 makes each row an object in dictionary mode, a property at a time: slow to build,
 * and slow to read and to copy after, which an apply does to 10,000 scenario rows several times. A
 * reading statement here returns its rows as arrays, made into objects of one shared shape by a
 * builder per list of columns. Column names are read after the statement ran, so a statement
 * SQLite prepared again (a column added since) names the columns it returned.
 */
function withFastRows(stmt: SQLite.Statement): CachedStatement {
  if (!stmt.reader) return stmt;
  stmt.raw(true);
  const builder = () => rowBuilder(stmt.columns().map((c) => c.name));
  const bound = (params: ReadonlyArray<unknown> | undefined) => (params === undefined ? [] : [params]);
  return {
    reader: true,
    get busy() {
      return stmt.busy;
    },
    all(params) {
      const rows = stmt.all(...bound(params)) as unknown[][];
      return rows.length ? rows.map(builder()) : rows;
    },
    run: (params) => stmt.run(...bound(params)),
    *iterate(params) {
      let build: RowBuilder | undefined;
      for (const r of stmt.iterate(...bound(params)) as IterableIterator<unknown[]>) yield (build ??= builder())(r);
    },
  };
}

type RowBuilder = (values: readonly unknown[]) => Record<string, unknown>;
const rowBuilders = new Map<string, RowBuilder>();

/**
 * A function making a row of these columns into an object literal: every object it makes has the
 * same shape from its creation, the fastest kind to build and read. Names are quoted as JSON, and a
 * repeated name keeps its last value, as better-sqlite3's own objects do. One per list of columns
 * (as many as distinct queries).
 */
function rowBuilder(columns: readonly string[]): RowBuilder {
  const key = JSON.stringify(columns);
  let build = rowBuilders.get(key);
  if (!build) {
    const fields = columns.map((c, i) => `${JSON.stringify(c)}: v[${i}]`).join(', ');
    build = new Function('v', `return { ${fields} };`) as RowBuilder;
    rowBuilders.set(key, build);
  }
  return build;
}
