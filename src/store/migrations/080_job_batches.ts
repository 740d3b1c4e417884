import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The batches a job has finished, kept with the job as each one finishes, so a job taken over from
 * a worker that died resumes after its last finished batch instead of paying for them again.
 * A batch is named by its key (the scenarios it holds, at the revisions it saw): a resumed job
 * reuses a kept batch only when it would send the engine exactly that batch again.
 */
export const jobBatches = (dialect: DialectName) => ({
  async up(db: Kysely<any>): Promise<void> {
    const table = db.schema.createTable('job_batches');
    // An id like every table of ours, so tools that walk every table in order can.
    await (dialect === 'postgres'
      ? table.addColumn('id', 'serial', (c) => c.primaryKey())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    )
      .addColumn('job_id', 'integer', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
      .addColumn('batch_key', 'text', (c) => c.notNull())
      // The claim that finished it, for the record: any later attempt may reuse it.
      .addColumn('attempt', 'integer', (c) => c.notNull())
      // Units of work it counts as done on the progress bar (0 for a batch that failed).
      .addColumn('units', 'integer', (c) => c.notNull())
      // What the engine answered ({ ok: true, value }) or how it failed ({ ok: false, error }), as JSON.
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('usage', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('job_batches_job_key', ['job_id', 'batch_key'])
      .execute();
  },
});
