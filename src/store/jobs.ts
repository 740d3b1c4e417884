import crypto from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import { yielder, yieldToEventLoop } from '../domain/event-loop.js';
import type { FailureKind } from '../domain/job-failure.js';
import { retryWorthy } from '../domain/job-progress.js';
import type { JobKind, JobStatus, TokenUsage } from '../domain/jobs.js';
import { type JobResult, stoppedResult, type UpdatedScenario } from '../domain/suggestion.js';
import type { Db, Executor } from './db.js';
import { isPostgres } from './dialect.js';
import { currentProjectScope, outsideProjectScope } from './key-scope.js';
import type { Row } from './schema.js';

/**
 * Job operations, each one conditional statement that reports whether it won. Every write after a
 * claim is guarded by `lease_owner` and `attempts`, so a worker that lost its lease changes nothing.
 */

export interface NewJob {
  organizationId: number;
  projectId: number | null;
  sessionId: number | null;
  kind: JobKind;
  mode: string;
  request: unknown;
  maxAttempts: number;
  createdBy: number | null;
  progressTotal?: number;
}

/** An unguessable id: 128 random bits, formatted as a UUID as the reference's progress ids are. */
export const newProgressId = (): string => crypto.randomUUID();

export async function insertJob(db: Executor, job: NewJob, now: string): Promise<Row<'jobs'>> {
  const request = JSON.stringify(job.request);
  // Serializing an apply's megabytes and writing them are a turn of the event loop each.
  if (request.length > BIG_REQUEST_CHARS) await yieldToEventLoop();
  return db
    .insertInto('jobs')
    .values({
      progress_id: newProgressId(),
      organization_id: job.organizationId,
      project_id: job.projectId,
      session_id: job.sessionId,
      kind: job.kind,
      mode: job.mode,
      status: 'in_progress',
      request,
      result: null,
      error: null,
      progress_done: 0,
      progress_total: job.progressTotal ?? 0,
      usage: '{}',
      attempts: 0,
      max_attempts: job.maxAttempts,
      lease_owner: null,
      lease_expires_at: null,
      cancel_requested: 0,
      created_by: job.createdBy,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
      last_error: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

const BIG_REQUEST_CHARS = 256 * 1024;

export function findJobById(db: Executor, id: number): Promise<Row<'jobs'> | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What an apply needs of the job whose suggestions it carries: not its result, which can be megabytes. */
export function findJobState(db: Executor, id: number): Promise<Pick<Row<'jobs'>, 'id' | 'progress_id' | 'review_state' | 'applied_by'> | undefined> {
  return db.selectFrom('jobs').select(['id', 'progress_id', 'review_state', 'applied_by']).where('id', '=', id).executeTakeFirst();
}

/**
 * The `updated_scenarios` of a job's result, in order, read an item at a time: an improve of
 * thousands of scenarios leaves a result of megabytes, and one JSON.parse of it would hold the
 * event loop for tens of milliseconds. The database splits the array (PostgreSQL in its own
 * process), and the items are parsed a few hundred per turn.
 */
export async function resultItems(db: Executor, jobId: number): Promise<UpdatedScenario[]> {
  const text = isPostgres(db)
    ? `select e.item::text as item from jobs, json_array_elements(jobs.result::json -> 'updated_scenarios') with ordinality as e(item, n) where jobs.id = $1 order by e.n`
    : `select j.value as item from jobs, json_each(jobs.result, '$.updated_scenarios') as j where jobs.id = ? order by j.key`;
  const { rows } = await db.executeQuery<{ item: string }>(CompiledQuery.raw(text, [jobId]));
  const items: UpdatedScenario[] = [];
  const breathe = yielder(ITEMS_PER_TURN);
  for (const r of rows) {
    await breathe();
    items.push(JSON.parse(r.item) as UpdatedScenario);
  }
  return items;
}
const ITEMS_PER_TURN = 500;

export function findJobByProgressId(db: Executor, organizationId: number, progressId: string): Promise<Row<'jobs'> | undefined> {
  return db.selectFrom('jobs').selectAll().where('progress_id', '=', progressId).where('organization_id', '=', organizationId).executeTakeFirst();
}

/** The columns a progress answer is made of; the request, which can be large, is not among them. */
const PROGRESS_COLUMNS = [
  'progress_id',
  'session_id',
  'kind',
  'mode',
  'status',
  'result',
  'error',
  'progress_done',
  'progress_total',
  'usage',
  'review_state',
  'review_count',
  'failure_kind',
  // Not shown: what tells whether a key limited to a project may be answered the job from memory.
  'project_id',
] as const;
export type JobProgressRow = Pick<Row<'jobs'>, (typeof PROGRESS_COLUMNS)[number]> & { request?: string };

const progressQueries = new WeakMap<Db, CompiledQuery<JobProgressRow>>();

/**
 * What a poll reads. Clients poll a running job many times a second, so its query is built and
 * compiled once per database and only its parameters change.
 */
export async function findJobProgress(db: Db, organizationId: number, progressId: string): Promise<JobProgressRow | undefined> {
  const select = () => db.selectFrom('jobs').select(PROGRESS_COLUMNS).where('progress_id', '=', progressId).where('organization_id', '=', organizationId);
  // A key limited to a project reads through the query its scope narrows; the compiled one is everyone else's.
  if (currentProjectScope() !== undefined) return select().executeTakeFirst();
  let query = progressQueries.get(db);
  if (!query) {
    query = outsideProjectScope(() => db.selectFrom('jobs').select(PROGRESS_COLUMNS).where('progress_id', '=', '').where('organization_id', '=', 0).compile());
    progressQueries.set(db, query);
  }
  const { rows } = await db.executeQuery<JobProgressRow>({ ...query, parameters: [progressId, organizationId] });
  const job = rows[0];
  // A job worth sending again answers with its request: read then only, as that is rare and can be large.
  if (job && retryWorthy(job)) {
    const stored = await db
      .selectFrom('jobs')
      .select('request')
      .where('progress_id', '=', progressId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return stored ? { ...job, request: stored.request } : job;
  }
  return job;
}

export function latestJobOfSession(db: Executor, sessionId: number): Promise<Row<'jobs'> | undefined> {
  return db.selectFrom('jobs').selectAll().where('session_id', '=', sessionId).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export interface Lease {
  jobId: number;
  owner: string;
  attempt: number;
}

/**
 * Claims the oldest job that is waiting, or whose worker's lease expired, for `owner` (only the job
 * `progressId` names, when given). Returns null when there is nothing to take. The claim is one
 * conditional update on the attempt read, so of several processes racing for a row exactly one wins,
 * on SQLite and on PostgreSQL under READ COMMITTED alike (the loser's update re-reads the row).
 */
export async function claimNext(
  db: Executor,
  owner: string,
  leaseMs: number,
  now: Date,
  kinds?: readonly string[],
  progressId?: string,
): Promise<Row<'jobs'> | null> {
  const nowIso = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  for (let tries = 0; tries < 5; tries++) {
    let q = db
      .selectFrom('jobs')
      .select(['id', 'attempts'])
      .where('status', '=', 'in_progress')
      .where('cancel_requested', '=', 0)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', nowIso)]))
      .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
      .orderBy('id')
      .limit(1);
    if (kinds?.length) q = q.where('kind', 'in', kinds);
    if (progressId !== undefined) q = q.where('progress_id', '=', progressId);
    const candidate = await q.executeTakeFirst();
    if (!candidate) return null;
    const won = await db
      .updateTable('jobs')
      .set({
        lease_owner: owner,
        lease_expires_at: until,
        attempts: candidate.attempts + 1,
        started_at: sql`coalesce(started_at, ${nowIso})`,
        updated_at: nowIso,
      })
      .where('id', '=', candidate.id)
      .where('status', '=', 'in_progress')
      .where('attempts', '=', candidate.attempts)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_expires_at', '<', nowIso)]))
      .returningAll()
      .executeTakeFirst();
    if (won) return won;
  }
  return null;
}

/**
 * Renews the lease while the job runs. Reports whether this worker still owns a running job, and
 * whether it was cancelled under this very lease: a cancel keeps the lease on the row for this
 * query to find, so a worker in any process hears of it as a cancel, not as a lost lease.
 */
export async function heartbeat(db: Executor, lease: Lease, leaseMs: number, now: Date): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const row = await db
    .updateTable('jobs')
    .set({ lease_expires_at: sql<string>`case when status = 'in_progress' then ${until} else lease_expires_at end` })
    .where('id', '=', lease.jobId)
    .where('lease_owner', '=', lease.owner)
    .where('attempts', '=', lease.attempt)
    .returning(['status', 'cancel_requested'])
    .executeTakeFirst();
  return { owned: row?.status === 'in_progress', cancelRequested: row?.cancel_requested === 1 };
}

export async function setProgress(db: Executor, lease: Lease, done: number, total: number, usage: TokenUsage | undefined, now: string): Promise<boolean> {
  const res = await db
    .updateTable('jobs')
    .set({ progress_done: done, progress_total: total, updated_at: now, ...(usage ? { usage: JSON.stringify(usage) } : {}) })
    .where('id', '=', lease.jobId)
    .where('lease_owner', '=', lease.owner)
    .where('attempts', '=', lease.attempt)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface Outcome {
  status: Exclude<JobStatus, 'in_progress' | 'cancelled'>;
  result: JobResult;
  error: string | null;
  usage: TokenUsage;
  progressDone?: number;
  progressTotal?: number;
  /** Why a failed job failed (domain/job-failure.ts). */
  failureKind?: string | null;
}

/** Records a job's final state if this worker still owns it; false means it lost the job (cancelled or re-claimed). */
export async function finishJob(db: Executor, lease: Lease, outcome: Outcome, now: string): Promise<boolean> {
  const res = await db
    .updateTable('jobs')
    .set({
      status: outcome.status,
      result: JSON.stringify(outcome.result),
      error: outcome.error,
      usage: JSON.stringify(outcome.usage),
      failure_kind: outcome.status === 'failed' ? (outcome.failureKind ?? 'error') : null,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
      ...(outcome.progressDone !== undefined ? { progress_done: outcome.progressDone } : {}),
      ...(outcome.progressTotal !== undefined ? { progress_total: outcome.progressTotal } : {}),
    })
    .where('id', '=', lease.jobId)
    .where('lease_owner', '=', lease.owner)
    .where('attempts', '=', lease.attempt)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Cancels a job that has not finished: it becomes `cancelled` at once, so no worker can record a
 * result afterwards (their writes are guarded by status). The lease stays on the row, so the
 * worker holding it learns from its next heartbeat that it was cancelled. Reports whether it won.
 */
export async function cancelJob(db: Executor, jobId: number, now: string): Promise<boolean> {
  const job = await db.selectFrom('jobs').select(['kind', 'session_id']).where('id', '=', jobId).executeTakeFirst();
  if (!job) return false;
  const result = stoppedResult(job.kind as JobKind, 'Cancelled.', { cancelled: true, sessionId: job.session_id });
  const res = await db
    .updateTable('jobs')
    .set({ status: 'cancelled', cancel_requested: 1, result: JSON.stringify(result), error: null, finished_at: now, updated_at: now })
    .where('id', '=', jobId)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** On shutdown: hands this worker's unfinished jobs back without counting the attempt. */
/**
 * An attempt ended by an error that was not the job's answer (e.g. the database went away while it
 * finished): the reason is kept and the job is free to be claimed again at once, or given up by the
 * sweeper when its attempts are used. Guarded by the lease, like every write after a claim.
 */
export async function recordAttemptFailure(db: Executor, lease: Lease, error: string, now: Date): Promise<boolean> {
  const nowIso = now.toISOString();
  const res = await db
    .updateTable('jobs')
    .set({ last_error: error.slice(0, 2000), lease_owner: null, lease_expires_at: new Date(now.getTime() - 1).toISOString(), updated_at: nowIso })
    .where('id', '=', lease.jobId)
    .where('lease_owner', '=', lease.owner)
    .where('attempts', '=', lease.attempt)
    .where('status', '=', 'in_progress')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function releaseOwned(db: Executor, owner: string, now: string): Promise<number> {
  const res = await db
    .updateTable('jobs')
    .set((eb) => ({ lease_owner: null, lease_expires_at: null, attempts: eb('attempts', '-', 1), updated_at: now }))
    .where('lease_owner', '=', owner)
    .where('status', '=', 'in_progress')
    .where('attempts', '>', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/**
 * Jobs whose worker died and that used up their attempts are failed with a reason instead of
 * staying `in_progress` forever. Returns the jobs it failed so their sessions can follow.
 */
export async function failExhausted(db: Executor, now: Date): Promise<Row<'jobs'>[]> {
  const nowIso = now.toISOString();
  return db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'failed',
      // Say what happened: an attempt that failed left its reason; one that left none was a worker that stopped.
      error: sql<string>`case when ${eb.ref('last_error')} is null
        then 'The worker running this job stopped ' || ${eb.ref('attempts')} || ' time(s); giving up.'
        else 'The job failed ' || ${eb.ref('attempts')} || ' time(s); giving up. Last error: ' || ${eb.ref('last_error')} end`,
      // Either way its worker stopped short of an answer, for a cause an attempt later may not meet.
      failure_kind: 'worker_stopped' satisfies FailureKind,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: nowIso,
      updated_at: nowIso,
    }))
    .where('status', '=', 'in_progress')
    .where('lease_expires_at', '<', nowIso)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .returningAll()
    .execute();
}
