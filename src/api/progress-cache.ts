import type { JobEvents } from '../store/job-events.js';
import type { JobProgressRow } from '../store/jobs.js';
import { currentProjectScope } from '../store/key-scope.js';

/** Running jobs kept; beyond it the oldest entry goes. */
const MAX_ENTRIES = 10_000;
/** A bound on staleness should a write ever go unannounced: past it an entry is read again. */
const MAX_AGE_MS = 1_000;

/**
 * The progress of running jobs as last read, per process, so clients polling thousands of jobs do
 * not each cost a database read. An entry is dropped on word that its job changed (the runner's
 * own writes here, NOTIFY from workers on PostgreSQL) and after a second at most. Only running
 * jobs are kept (small rows; a final answer can be megabytes), and only while word of every change
 * reaches this process.
 */
export class ProgressCache {
  readonly #entries = new Map<string, { row: JobProgressRow; at: number; unsubscribe: () => void }>();
  constructor(private readonly events: JobEvents) {}

  async get(organizationId: number, progressId: string, read: () => Promise<JobProgressRow | undefined>): Promise<JobProgressRow | undefined> {
    // The organization and the key's project scope are part of the key: a job id alone never answers
    // for another organization, nor a row read for one project's key for another's.
    const key = `${organizationId}:${currentProjectScope() ?? ''}:${progressId}`;
    const hit = this.#entries.get(key);
    if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.row;
    if (hit) this.#drop(key);
    if (!this.events.live) return read();
    // Subscribed before the read, so a change committed during it drops what it returns.
    let changed = false;
    const unsubscribe = this.events.subscribe(progressId, () => {
      changed = true;
      this.#drop(key);
    });
    const row = await read();
    if (row?.status !== 'in_progress' || changed || this.#entries.has(key)) {
      unsubscribe();
      return row;
    }
    this.#entries.set(key, { row, at: Date.now(), unsubscribe });
    if (this.#entries.size > MAX_ENTRIES) this.#drop(this.#entries.keys().next().value!);
    return row;
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    e.unsubscribe();
  }
}
