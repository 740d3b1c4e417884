import { Kysely, type Migration, type MigrationProvider, Migrator, sql, type Transaction } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.js';
import type { DialectName } from './dialect.js';
import { postgresDialect } from './dialects/postgres.js';
import { sqliteDialect } from './dialects/sqlite.js';
import { type JobEvents, type KeyEvents, localEvents, pgEvents } from './job-events.js';
import { ProjectScopePlugin } from './key-scope.js';
import { initial } from './migrations/001_initial.js';
import { settings } from './migrations/002_settings.js';
import { documentedFields } from './migrations/020_documented_fields.js';
import { kbContentHash } from './migrations/030_kb_content_hash.js';
import { jobLastError } from './migrations/040_job_last_error.js';
import { keyScope } from './migrations/041_key_scope.js';
import { jobReview } from './migrations/070_job_review.js';
import { changesets } from './migrations/071_changesets.js';
import { projectBudget } from './migrations/072_project_budget.js';
import { webhooks } from './migrations/073_webhooks.js';
import { jobBatches } from './migrations/080_job_batches.js';
import { keyRevocationNotify } from './migrations/095_key_revocation_notify.js';
import { jobChangeNotify } from './migrations/096_job_change_notify.js';
import { revisionSource } from './migrations/115_revision_source.js';
import { jobFailureKind } from './migrations/116_job_failure_kind.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: store functions accept both so callers compose them. */
export type Executor = Db | Tx;

export interface Store {
  readonly db: Db;
  readonly dialect: DialectName;
  /** The connection pool on PostgreSQL, which the job queue shares so SCENARIST_DB_POOL_SIZE bounds both. */
  readonly pgPool?: pg.Pool;
  /** Word of job changes, across processes: what streams, long polls and cached polls wait on. */
  readonly jobEvents: JobEvents;
  /** Word of key revocations, across processes: what empties the cache of verified keys. */
  readonly keyEvents: KeyEvents;
  /** Hears about connections lost while idle; the pool replaces them, so these are reports, not failures. */
  onConnectionError(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

export function openStore(database: Config['database']): Store {
  if (database.kind === 'postgres') {
    const { dialect, pool } = postgresDialect(database.url, database.poolSize);
    const db = new Kysely<Database>({ dialect, plugins: [new ProjectScopePlugin()] });
    const errorListeners: Array<(err: Error) => void> = [];
    const events = pgEvents(database.url, (err) => {
      for (const l of errorListeners) l(err);
    });
    return {
      db,
      dialect: 'postgres',
      pgPool: pool,
      jobEvents: events.jobs,
      keyEvents: events.keys,
      onConnectionError: (l) => {
        pool.on('error', l);
        errorListeners.push(l);
      },
      close: async () => {
        await events.close();
        await db.destroy();
      },
    };
  }
  const sqlite = sqliteDialect(database.file);
  const db = new Kysely<Database>({ dialect: sqlite.dialect, plugins: [new ProjectScopePlugin()] });
  const events = localEvents(sqlite.foreignWrites);
  return {
    db,
    dialect: 'sqlite',
    jobEvents: events.jobs,
    keyEvents: events.keys,
    onConnectionError: () => {},
    close: async () => {
      await events.close();
      await db.destroy();
    },
  };
}

function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '001_initial': initial(dialect),
    '002_settings': settings,
    '020_documented_fields': documentedFields,
    '030_kb_content_hash': kbContentHash,
    '040_job_last_error': jobLastError,
    '041_key_scope': keyScope,
    '070_job_review': jobReview,
    '071_changesets': changesets(dialect),
    '072_project_budget': projectBudget,
    '073_webhooks': webhooks(dialect),
    '080_job_batches': jobBatches(dialect),
    '095_key_revocation_notify': keyRevocationNotify(dialect),
    '096_job_change_notify': jobChangeNotify(dialect),
    '115_revision_source': revisionSource,
    '116_job_failure_kind': jobFailureKind,
  };
}

/** Applies every pending migration; safe to run on each start and from several processes. */
export async function migrate(store: Store): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(store.dialect) };
  const migrator = new Migrator({ db: store.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function ping(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}

/**
 * Waits until the database answers, retrying with backoff, so a process started while the
 * database is down (or restarting) waits for it instead of exiting and being restarted in a loop.
 */
export async function waitForDatabase(store: Store, onRetry: (err: unknown, delayMs: number) => void): Promise<void> {
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 10_000)) {
    try {
      await ping(store);
      return;
    } catch (err) {
      onRetry(err, delayMs);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
