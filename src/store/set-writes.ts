import { CompiledQuery } from 'kysely';
import { yieldToEventLoop } from '../domain/event-loop.js';
import type { Executor } from './db.js';
import { isPostgres } from './dialect.js';

/**
 * Writes of many rows as a few statements instead of one per row: what makes an apply of 10,000
 * changes cost about as much as the rows themselves. PostgreSQL gets a statement's rows as one
 * `jsonb` parameter (an array of rows), so a statement has a handful of parameters whatever the
 * number of rows; SQLite gets chunks of a `VALUES` list, each chunk the same text so its prepared
 * statement is reused.
 */

export type ColumnType = 'integer' | 'text';
export interface Column {
  name: string;
  type: ColumnType;
}

/** Rows per SQLite statement: well under its 32,766 bound parameters, and a few milliseconds each, so other requests get turns between. */
const SQLITE_ROWS_PER_STATEMENT = 200;
/** Rows per PostgreSQL statement: a few megabytes of JSON, parsed and planned in a few milliseconds. */
const PG_ROWS_PER_STATEMENT = 5_000;

/**
 * How many rows a caller writing thousands should check and hand over at a time. On PostgreSQL a
 * part's statements run while the caller checks the next part (WritesInFlight), so their round
 * trips cost little: a thousand rows keep what two parts in flight hold mostly collected young, and
 * the serializing of a part's statements short enough for other requests not to wait on it. On
 * SQLite a statement is a call within this process: a few hundred rows keep a part small enough to
 * be collected young, and give other requests turns between parts.
 */
export const rowsPerPart = (db: Executor): number => (isPostgres(db) ? PG_ROWS_PER_PART : SQLITE_ROWS_PER_STATEMENT);
const PG_ROWS_PER_PART = 1_000;

/**
 * How many ids a reader of thousands (an apply's scenarios, a submit's references) asks for in one
 * statement: on PostgreSQL each statement is a round trip, so a few for 10,000 ids; a part of a
 * write is read in one.
 */
export const idsPerRead = (db: Executor): number => (isPostgres(db) ? PG_ROWS_PER_STATEMENT / 2 : 500);
const quote = (name: string) => `"${name}"`;

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * PostgreSQL: rows as the text of one `jsonb` parameter. JSON.stringify is native, where pg escapes
 * each element of a text array in JavaScript: for 10,000 revisions that is tens of milliseconds of
 * the event loop instead of hundreds. A string with a lone surrogate is made well-formed first, as
 * pg's own UTF-8 encoding of a parameter would.
 */
function pgRowsParam(rows: unknown[][]): string {
  const clean = rows.map((r) => (r.some(malformed) ? r.map((v) => (malformed(v) ? (v as WellFormable).toWellFormed() : v)) : r));
  return JSON.stringify(clean);
}
type WellFormable = string & { isWellFormed(): boolean; toWellFormed(): string };
const malformed = (v: unknown): boolean => typeof v === 'string' && !(v as WellFormable).isWellFormed();

/** PostgreSQL: the rows of a `jsonb` array parameter as a relation with the columns' names and types. */
function pgRows(columns: Column[], param: string): string {
  const cols = columns.map((c, i) => `(r->>${i})::${c.type} as ${quote(c.name)}`).join(', ');
  return `select ${cols} from jsonb_array_elements(${param}::jsonb) as r`;
}

const placeholders = (n: number) => `(${Array.from({ length: n }, () => '?').join(', ')})`;

/** Inserts every row, a chunk of them per statement. */
export async function insertRows(db: Executor, table: string, columns: Column[], rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const names = columns.map((c) => quote(c.name)).join(', ');
  if (isPostgres(db)) {
    const text = `insert into ${quote(table)} (${names}) ${pgRows(columns, '$1')}`;
    for (const part of chunks(rows, PG_ROWS_PER_STATEMENT)) await db.executeQuery(CompiledQuery.raw(text, [pgRowsParam(part)]));
    return;
  }
  const row = placeholders(columns.length);
  for (const part of chunks(rows, SQLITE_ROWS_PER_STATEMENT)) {
    const text = `insert into ${quote(table)} (${names}) values ${part.map(() => row).join(', ')}`;
    await db.executeQuery(CompiledQuery.raw(text, part.flat()));
    // SQLite runs each statement synchronously: between chunks, other requests get their turn.
    await yieldToEventLoop();
  }
}

export interface GuardedUpdate {
  table: string;
  /** Identifies the row. */
  key: Column;
  /** Updated only where it still holds the value given, and then set to that value plus one. */
  guard: Column;
  /** The columns each row sets, to its own values. */
  set: Column[];
  /** Per row: key, guard, then the `set` values in order. */
  rows: unknown[][];
  /** Columns set to the same value on every row. */
  constants: Record<string, unknown>;
}

/**
 * Updates many rows, each to its own values, as one statement per chunk; a row whose guard no
 * longer holds (another writer got there first) is left alone. Returns the keys it updated, so the
 * caller can tell which rows lost the race.
 */
export async function updateGuarded(db: Executor, u: GuardedUpdate): Promise<Set<unknown>> {
  const updated = new Set<unknown>();
  if (!u.rows.length) return updated;
  const columns = [u.key, u.guard, ...u.set];
  const constants = Object.entries(u.constants);
  const pg = isPostgres(db);
  const assign = [
    ...u.set.map((c) => `${quote(c.name)} = v.${quote(c.name)}`),
    `${quote(u.guard.name)} = v.${quote(u.guard.name)} + 1`,
    // On PostgreSQL the rows are $1, so the constants follow from $2.
    ...constants.map(([name], i) => `${quote(name)} = ${pg ? `$${i + 2}` : '?'}`),
  ].join(', ');
  // SQLite's RETURNING cannot name an alias of the table, so the table goes by its own name there.
  const t = pg ? 't' : quote(u.table);
  const match = `${t}.${quote(u.key.name)} = v.${quote(u.key.name)} and ${t}.${quote(u.guard.name)} = v.${quote(u.guard.name)}`;
  const names = columns.map((c) => quote(c.name)).join(', ');
  const values = constants.map(([, v]) => v);
  if (pg) {
    const text = `update ${quote(u.table)} as t set ${assign} from (${pgRows(columns, '$1')}) as v where ${match} returning t.${quote(u.key.name)} as k`;
    for (const part of chunks(u.rows, PG_ROWS_PER_STATEMENT)) {
      const { rows } = await db.executeQuery<{ k: unknown }>(CompiledQuery.raw(text, [pgRowsParam(part), ...values]));
      for (const r of rows) updated.add(r.k);
    }
    return updated;
  }
  const row = placeholders(columns.length);
  for (const part of chunks(u.rows, SQLITE_ROWS_PER_STATEMENT)) {
    // SQLite names the columns of a bare VALUES list column1…; a CTE gives them their names.
    const text = `with v(${names}) as (values ${part.map(() => row).join(', ')}) update ${t} set ${assign} from v where ${match} returning ${quote(u.key.name)} as k`;
    const { rows } = await db.executeQuery<{ k: unknown }>(CompiledQuery.raw(text, [...part.flat(), ...values]));
    for (const r of rows) updated.add(r.k);
    await yieldToEventLoop();
  }
  return updated;
}

/** PostgreSQL refusing a statement because an earlier one in the transaction failed: not a failure of its own. */
const refusedAfterFailure = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === '25P02';

/**
 * Writes of one transaction that the caller goes on past without waiting for, so it prepares the
 * next while the database runs them: on PostgreSQL a transaction's statements queue on its
 * connection and run in the order given, so what the caller reads next still sees them. On SQLite
 * a statement runs in this process, so each write is waited for as it is added.
 *
 * Every write is answered before the transaction may end (one still queued would run after it).
 * After a failed statement PostgreSQL refuses the rest (25P02): the failure named is the first of
 * its own, such as a guarded update that lost rows.
 */
export class WritesInFlight {
  readonly #pending: Promise<void>[] = [];
  readonly #failures: unknown[] = [];
  readonly #waitEach: boolean;

  constructor(db: Executor) {
    this.#waitEach = !isPostgres(db);
  }

  /** Leaves `write` running (PostgreSQL) or waits for it (SQLite). */
  async add(write: Promise<unknown>): Promise<void> {
    if (this.#waitEach) {
      await write;
      return;
    }
    this.#pending.push(
      write.then(
        () => {},
        (e: unknown) => {
          this.#failures.push(e);
        },
      ),
    );
  }

  /** Whether a write has failed already: what the caller does next would be rolled back. */
  get failed(): boolean {
    return this.#failures.length > 0;
  }

  /**
   * Waits for every write. Throws the first failure of a write's own; else `met`, an error the
   * caller met meanwhile (reading after a failed write, it may be a refusal); else any failure.
   */
  async settle(met?: { error: unknown }): Promise<void> {
    await Promise.all(this.#pending.splice(0));
    const own = this.#failures.find((e) => !refusedAfterFailure(e));
    if (own !== undefined) throw own;
    if (met) throw met.error;
    if (this.#failures.length) throw this.#failures[0];
  }
}
