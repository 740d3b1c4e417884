import SQLite from 'better-sqlite3';
import { type Generated, Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../src/store/dialects/sqlite.js';

interface Db {
  items: { id: Generated<number>; name: string };
}

/** A real database that counts how often a statement is compiled. */
function countingDatabase() {
  const database = new SQLite(':memory:');
  const prepared: string[] = [];
  const prepare = database.prepare.bind(database);
  database.prepare = ((text: string) => {
    prepared.push(text);
    return prepare(text);
  }) as typeof database.prepare;
  return { database, prepared };
}

describe('SQLite statement cache', () => {
  let database: SQLite.Database;
  let prepared: string[];
  let db: Kysely<Db>;

  beforeEach(async () => {
    ({ database, prepared } = countingDatabase());
    db = new Kysely<Db>({ dialect: new SqliteDialect({ database: withStatementCache(database, 3) }) });
    await db.schema
      .createTable('items')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .execute();
    prepared.length = 0;
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('compiles a repeated query once and binds each call its own parameters', async () => {
    for (const name of ['a', 'b', 'c']) await db.insertInto('items').values({ name }).execute();
    const names = [];
    for (const id of [1, 2, 3]) names.push((await db.selectFrom('items').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name);
    expect(names).toEqual(['a', 'b', 'c']);
    expect(prepared).toHaveLength(2);
  });

  it('keeps the most recently used statements and compiles an evicted one again', async () => {
    const query = (n: number) => sql.raw(`select ${n} as n`).execute(db);
    for (const n of [1, 2, 3, 1, 4]) await query(n); // 4 evicts 2, the least recently used
    expect(prepared).toHaveLength(4);
    await query(1);
    await query(3);
    expect(prepared).toHaveLength(4);
    await query(2);
    expect(prepared).toHaveLength(5);
  });

  it('hands out a fresh statement while the cached one is still being iterated', async () => {
    for (const name of ['a', 'b']) await db.insertInto('items').values({ name }).execute();
    const cache = withStatementCache(database);
    const text = 'select name from items order by id';
    const first = cache.prepare(text) as SQLite.Statement;
    const rows = first.iterate();
    expect((rows.next().value as { name: string }).name).toBe('a');
    const second = cache.prepare(text) as SQLite.Statement;
    expect(second).not.toBe(first);
    expect(second.all()).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect((rows.next().value as { name: string }).name).toBe('b');
    expect(rows.next().done).toBe(true);
  });

  it('answers rows as plain objects of one shape, a repeated column name keeping its last value, as before', async () => {
    for (const name of ['a', 'b']) await db.insertInto('items').values({ name }).execute();
    const { rows } = await sql<Record<string, unknown>>`select id, name, id * 10 as name from items order by id`.execute(db);
    expect(rows).toEqual([
      { id: 1, name: 10 },
      { id: 2, name: 20 },
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'name']);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    const streamed = [];
    for await (const row of db.selectFrom('items').select(['name', 'id']).orderBy('id').stream()) streamed.push(row);
    expect(streamed).toEqual([
      { name: 'a', id: 1 },
      { name: 'b', id: 2 },
    ]);
    // Quotes, a backslash and what would end the built function stay part of the name.
    const name = 'it\'s "odd" \\ ` }); //';
    const odd = await sql.raw<Record<string, unknown>>(`select 1 as "${name.replaceAll('"', '""')}"`).execute(db);
    expect(odd.rows).toEqual([{ [name]: 1 }]);
  });

  it('reads a column added after the statement was cached', async () => {
    await db.insertInto('items').values({ name: 'a' }).execute();
    const all = () => sql`select * from items`.execute(db).then((r) => r.rows);
    expect(await all()).toEqual([{ id: 1, name: 'a' }]);
    await sql`alter table items add column tag text default 'x'`.execute(db);
    expect(await all()).toEqual([{ id: 1, name: 'a', tag: 'x' }]);
  });
});
