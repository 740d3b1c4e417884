import type { Executor } from './db.js';
import { getOwned, type OwnedTable } from './ownership.js';
import type { Database, NewRow, Row, RowUpdate } from './schema.js';

/**
 * Plain create / read / update / delete for the simple resources whose rows belong to one
 * organization (agents, personalities, test profiles, metrics, files, tools). Every statement is
 * scoped by organization, so a caller can never reach another organization's row.
 */
type Filters<T extends OwnedTable> = Partial<Record<keyof Database[T] & string, string | number | null | undefined>>;

// Kysely cannot type a query over a table chosen at run time; the casts stay inside this module.
const q = (db: Executor) => db as unknown as Executor & { selectFrom: any; insertInto: any; updateTable: any; deleteFrom: any };

export function insertOwned<T extends OwnedTable>(db: Executor, table: T, values: NewRow<T>): Promise<Row<T>> {
  return q(db).insertInto(table).values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateOwned<T extends OwnedTable>(db: Executor, table: T, organizationId: number, id: number, set: RowUpdate<T>): Promise<Row<T>> {
  await getOwned(db, table, organizationId, id);
  return q(db).updateTable(table).set(set).where('id', '=', id).where('organization_id', '=', organizationId).returningAll().executeTakeFirstOrThrow();
}

export async function deleteOwned(db: Executor, table: OwnedTable, organizationId: number, id: number): Promise<void> {
  await getOwned(db, table, organizationId, id);
  await q(db).deleteFrom(table).where('id', '=', id).where('organization_id', '=', organizationId).execute();
}

/** Rows matching every given filter (undefined filters are ignored), oldest first, optionally one page. */
export async function listOwned<T extends OwnedTable>(
  db: Executor,
  table: T,
  organizationId: number,
  filters: Filters<T>,
  page?: { offset: number; limit: number },
): Promise<{ count: number; rows: Row<T>[] }> {
  let query = q(db).selectFrom(table).where('organization_id', '=', organizationId);
  for (const [col, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    query = value === null ? query.where(col, 'is', null) : query.where(col, '=', value);
  }
  if (!page) {
    const rows = (await query.selectAll().orderBy('id').execute()) as Row<T>[];
    return { count: rows.length, rows };
  }
  const { n } = await query.select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  const rows = (await query.selectAll().orderBy('id').offset(page.offset).limit(page.limit).execute()) as Row<T>[];
  return { count: Number(n), rows };
}

/** The kept documented fields (a JSON object) with a write's fields over them: a field not sent keeps its value. */
export function mergeDocumented(kept: string, written: Record<string, unknown>): string {
  return JSON.stringify({ ...(JSON.parse(kept) as Record<string, unknown>), ...written });
}
