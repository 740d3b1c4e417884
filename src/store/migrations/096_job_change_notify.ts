import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect.js';
import { JOB_CHANNEL } from '../job-events.js';

/**
 * On PostgreSQL the database itself sends word of every change to what a job's progress answer is
 * made of, in the transaction that makes it, so a process answering polls from memory hears of it
 * whoever wrote it (a worker that died right after its commit, a session deleted, a hand edit).
 * Only those columns: a heartbeat renewing the lease is no news to a poll.
 */
export const jobChangeNotify = (dialect: DialectName) => ({
  async up(db: Kysely<any>): Promise<void> {
    if (dialect !== 'postgres') return;
    await sql
      .raw(`create or replace function scenarist_job_changed() returns trigger language plpgsql as $$
        begin
          perform pg_notify('${JOB_CHANNEL}', case when tg_op = 'DELETE' then old.progress_id else new.progress_id end);
          return null;
        end $$`)
      .execute(db);
    await sql
      .raw(`create trigger jobs_changed
        after update of status, result, error, progress_done, progress_total, usage, review_state, review_count, session_id, kind, mode, organization_id
        or delete on jobs
        for each row execute function scenarist_job_changed()`)
      .execute(db);
  },
});
