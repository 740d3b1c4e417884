import type { SessionStatus } from '../domain/jobs.js';
import type { Executor } from './db.js';
import { getOwned } from './ownership.js';
import type { Row } from './schema.js';

export interface ToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  tool_calls: ToolCall[];
}

export function getSession(db: Executor, organizationId: number, id: number): Promise<Row<'sessions'>> {
  return getOwned(db, 'sessions', organizationId, id);
}

export async function createSession(
  db: Executor,
  s: { organizationId: number; projectId: number | null; title: string; scenarioIds: number[]; createdBy: number | null },
  now: string,
): Promise<Row<'sessions'>> {
  return db
    .insertInto('sessions')
    .values({
      organization_id: s.organizationId,
      project_id: s.projectId,
      title: s.title,
      scenario_ids: JSON.stringify(s.scenarioIds),
      status: 'pending',
      created_by: s.createdBy,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** What a session's list item says of its latest job, so a client knows which one to follow. */
export type LatestJob = Pick<Row<'jobs'>, 'progress_id' | 'status' | 'kind'>;

export async function listSessions(
  db: Executor,
  organizationId: number,
  projectId: number,
): Promise<Array<Row<'sessions'> & { message_count: number; latest_job: LatestJob | undefined }>> {
  return (
    db
      .selectFrom('sessions')
      // The latest job by id, found through the (session_id, id) index.
      .leftJoin('jobs', (join) =>
        join.on('jobs.id', '=', (eb) =>
          eb
            .selectFrom('jobs as latest')
            .select((e) => e.fn.max('latest.id').as('id'))
            .whereRef('latest.session_id', '=', 'sessions.id'),
        ),
      )
      .selectAll('sessions')
      .select(['jobs.progress_id as latest_progress_id', 'jobs.status as latest_job_status', 'jobs.kind as latest_job_kind'])
      .select((eb) =>
        eb
          .selectFrom('session_messages')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('session_messages.session_id', '=', 'sessions.id')
          .as('message_count'),
      )
      .where('sessions.organization_id', '=', organizationId)
      .where('sessions.project_id', '=', projectId)
      .orderBy('sessions.id', 'desc')
      .execute()
      .then((rows) =>
        rows.map(({ latest_progress_id, latest_job_status, latest_job_kind, ...r }) => ({
          ...r,
          message_count: Number(r.message_count ?? 0),
          latest_job: latest_progress_id ? { progress_id: latest_progress_id, status: latest_job_status!, kind: latest_job_kind! } : undefined,
        })),
      )
  );
}

export async function appendTurn(
  db: Executor,
  sessionId: number,
  turn: { role: 'user' | 'assistant'; content: string; toolCalls?: ToolCall[]; jobId?: number | null },
  now: string,
): Promise<void> {
  await db
    .insertInto('session_messages')
    .values({
      session_id: sessionId,
      job_id: turn.jobId ?? null,
      role: turn.role,
      content: turn.content,
      tool_calls: JSON.stringify(turn.toolCalls ?? []),
      created_at: now,
    })
    .execute();
}

export async function loadTurns(db: Executor, sessionId: number): Promise<Turn[]> {
  const rows = await db.selectFrom('session_messages').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
  return rows.map((r) => ({ role: r.role as Turn['role'], content: r.content, timestamp: r.created_at, tool_calls: JSON.parse(r.tool_calls) as ToolCall[] }));
}

/** A turn as a client writes it back: its time and tool calls may be left out. */
export interface TurnWrite {
  role: 'user' | 'assistant';
  content: string;
  timestamp?: string;
  /** Kept as sent: a client may write back what it read, or calls of its own. */
  tool_calls?: Array<Record<string, unknown>>;
}

const sameTurn = (row: Row<'session_messages'>, t: TurnWrite) =>
  row.role === t.role &&
  row.content === t.content &&
  (t.timestamp === undefined || row.created_at === t.timestamp) &&
  (t.tool_calls === undefined || row.tool_calls === JSON.stringify(t.tool_calls));

/**
 * Makes the session's conversation the one given. The turns it begins with that are already there,
 * as they are, stay the same rows (with the job each belongs to), so a conversation read and
 * written back changes nothing and one with turns added only adds them; from the first turn that
 * differs, the stored turns give way to the given ones.
 */
export async function replaceTurns(db: Executor, sessionId: number, turns: readonly TurnWrite[], now: string): Promise<void> {
  const rows = await db.selectFrom('session_messages').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
  let kept = 0;
  while (kept < rows.length && kept < turns.length && sameTurn(rows[kept]!, turns[kept]!)) kept++;
  if (kept < rows.length) await db.deleteFrom('session_messages').where('session_id', '=', sessionId).where('id', '>=', rows[kept]!.id).execute();
  const added = turns.slice(kept).map((t) => ({
    session_id: sessionId,
    job_id: null,
    role: t.role,
    content: t.content,
    tool_calls: JSON.stringify(t.tool_calls ?? []),
    created_at: t.timestamp ?? now,
  }));
  for (let i = 0; i < added.length; i += 500)
    await db
      .insertInto('session_messages')
      .values(added.slice(i, i + 500))
      .execute();
}

export async function updateSession(
  db: Executor,
  id: number,
  patch: { status?: SessionStatus; title?: string; scenarioIds?: number[] },
  now: string,
): Promise<void> {
  await db
    .updateTable('sessions')
    .set({
      updated_at: now,
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.scenarioIds ? { scenario_ids: JSON.stringify(patch.scenarioIds) } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Deletes a session and its turns; its jobs stay, no longer in a session. Returns their progress
 * ids: their answers change (`session_id` becomes null), so whoever follows them must hear of it.
 */
export async function deleteSession(db: Executor, organizationId: number, id: number): Promise<string[]> {
  await getSession(db, organizationId, id);
  return db.transaction().execute(async (tx) => {
    const jobs = await tx.selectFrom('jobs').select('progress_id').where('session_id', '=', id).execute();
    await tx.deleteFrom('session_messages').where('session_id', '=', id).execute();
    await tx.deleteFrom('sessions').where('id', '=', id).where('organization_id', '=', organizationId).execute();
    return jobs.map((j) => j.progress_id);
  });
}

/** Marks the latest assistant preview of a session, so the next turn knows what the user did with it. */
export async function markLatestPreview(db: Executor, sessionId: number, state: 'applied' | 'discarded'): Promise<boolean> {
  const last = await db
    .selectFrom('session_messages')
    .select(['id', 'tool_calls'])
    .where('session_id', '=', sessionId)
    .where('role', '=', 'assistant')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!last) return false;
  const calls = (JSON.parse(last.tool_calls) as ToolCall[]).map((c) => (c.name === 'suggest_changes' ? { ...c, status: state } : c));
  await db
    .updateTable('session_messages')
    .set({ tool_calls: JSON.stringify(calls) })
    .where('id', '=', last.id)
    .execute();
  return true;
}

/** The conversation as it stood when a job was submitted: every turn before the job's own. */
export async function turnsBeforeJob(db: Executor, sessionId: number, jobId: number): Promise<Turn[]> {
  const first = await db
    .selectFrom('session_messages')
    .select('id')
    .where('session_id', '=', sessionId)
    .where('job_id', '=', jobId)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  let q = db.selectFrom('session_messages').selectAll().where('session_id', '=', sessionId);
  if (first) q = q.where('id', '<', first.id);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => ({ role: r.role as Turn['role'], content: r.content, timestamp: r.created_at, tool_calls: JSON.parse(r.tool_calls) as ToolCall[] }));
}
