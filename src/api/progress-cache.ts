import type { JobEvents } from '../store/job-events.js';
import { currentProjectScope } from '../store/key-scope.js';

/** A progress answer and its JSON, made once per version of the job. */
export interface CachedAnswer<T> {
  readonly value: T;
  readonly json: string;
}

/** Running jobs kept; beyond it the oldest entry goes. */
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  organizationId: number;
  /** The job's project: a key limited to it reads this job as an organization-wide key does. */
  projectId: number | null;
  answer: CachedAnswer<T>;
  unsubscribe: () => void;
}

export const answerOf = <T>(value: T): CachedAnswer<T> => ({ value, json: JSON.stringify(value) });

/** What a read of a job gives the cache: its answer, and the project it belongs to. */
export interface ReadJob<T> {
  value: T;
  projectId: number | null;
}

/**
 * The answers of running jobs as last read, per process, so clients polling thousands of jobs
 * cost a lookup each, not a database read and a serialization. An entry lives until word that its
 * job changed (the runner's own writes here; NOTIFY from workers on PostgreSQL; on SQLite a write
 * to the file by another process), so a poll shows each change as soon as the word arrives, and no
 * timer re-reads the database. Nothing is answered from memory while word may be missing
 * (`JobEvents.fresh`). Only running jobs are kept: their answers are small and change; a final
 * answer can be megabytes and is read as it is stored.
 *
 * For routes whose answer is made of the job row alone (a view that embeds other rows, which send
 * no word when they change, must not be kept here).
 */
export class ProgressCache<T extends { status: string }> {
  readonly #entries = new Map<string, Entry<T>>();
  constructor(private readonly events: JobEvents) {}

  /** How many jobs are kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The job's answer if it is in memory and may be trusted now. A key limited to a project
   * (`projectScope`, the request's scope unless given) is answered only a job of that project:
   * the answer is made of the job's row alone, which its scoped read would return the same.
   */
  peek(organizationId: number, progressId: string, projectScope: number | null = currentProjectScope() ?? null): CachedAnswer<T> | undefined {
    // fresh() first: on SQLite it drops every entry when another process wrote.
    if (!this.#entries.size || !this.events.fresh()) return undefined;
    const hit = this.#entries.get(progressId);
    if (hit?.organizationId !== organizationId || (projectScope !== null && hit.projectId !== projectScope)) return undefined;
    return hit.answer;
  }

  /** The job's answer, from memory or read (and kept while the job runs and word of its changes reaches us). */
  async get(organizationId: number, progressId: string, read: (organizationId: number, progressId: string) => Promise<ReadJob<T>>): Promise<CachedAnswer<T>> {
    const hit = this.peek(organizationId, progressId);
    if (hit) return hit;
    if (!this.events.fresh()) return answerOf((await read(organizationId, progressId)).value);
    // Subscribed before the read, so a change committed during it drops what it returns.
    let changed = false;
    const unsubscribe = this.events.subscribe(progressId, () => {
      changed = true;
      this.#drop(progressId);
    });
    let job: ReadJob<T>;
    try {
      job = await read(organizationId, progressId);
    } catch (err) {
      unsubscribe();
      throw err;
    }
    const answer = answerOf(job.value);
    // A job of another organization is never kept under this id: its reads answer 404 and throw. A
    // key limited to a project keeps only that project's jobs (a read through its scope may also
    // see jobs of no project).
    const scope = currentProjectScope();
    const keep = job.value.status === 'in_progress' && (scope === undefined || job.projectId === scope);
    if (!keep || changed || this.#entries.has(progressId) || !this.events.fresh()) {
      unsubscribe();
      return answer;
    }
    this.#entries.set(progressId, { organizationId, projectId: job.projectId, answer, unsubscribe });
    if (this.#entries.size > MAX_ENTRIES) this.#drop(this.#entries.keys().next().value!);
    return answer;
  }

  #drop(progressId: string): void {
    const e = this.#entries.get(progressId);
    if (!e) return;
    this.#entries.delete(progressId);
    e.unsubscribe();
  }
}
