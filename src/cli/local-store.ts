import { loadConfig } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { CliExit, EXIT } from './exit-codes.js';

/**
 * Runs an operator command against the configured database directly (DATABASE_URL or the data
 * directory), as `scenarist keys create` does: these commands manage who may use the API, so they
 * need the database, not a key. The store loads only for them.
 */
export async function withLocalStore<T>(fn: (store: import('../store/db.js').Store) => Promise<T>): Promise<T> {
  const { migrate, openStore } = await import('../store/db.js');
  const store = openStore(loadConfig().database);
  try {
    await migrate(store);
    return await fn(store);
  } catch (err) {
    if (err instanceof DomainError) throw new CliExit(err.kind === 'not_found' ? EXIT.notFound : EXIT.usage, err.message);
    throw err;
  } finally {
    await store.close();
  }
}

/** A positive integer argument, or a usage error naming it. */
export function idArgument(value: string, what: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) throw new CliExit(EXIT.usage, `${what} must be a positive integer, not "${value}".`);
  return Number(value);
}

/** Rows as aligned columns for a terminal. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[headers, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n`;
}
