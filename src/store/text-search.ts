import { type RawBuilder, type SqlBool, sql } from 'kysely';

/**
 * The one LIKE of the store: `column` contains `text` literally, ignoring case (SQLite folds ASCII
 * letters only), on SQLite and PostgreSQL alike. "%" and "_" in the text are characters, not
 * wildcards: SQLite has no default LIKE escape character, so the clause names one.
 */
export function containsText(column: string, text: string): RawBuilder<SqlBool> {
  const pattern = `%${text.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
