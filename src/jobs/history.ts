import type { HistoryTurn } from '../agent/engine.js';
import type { Executor } from '../store/db.js';
import type { Row } from '../store/schema.js';
import { turnsBeforeJob } from '../store/sessions.js';

const STATUS_NOTE: Record<string, string> = { applied: '[STATUS: APPLIED BY USER]', discarded: '[STATUS: DISCARDED BY USER]' };

/**
 * The conversation before a job, as an engine reads it. A preview the user applied or discarded
 * carries that note, so the next suggestion knows what became of the last one.
 */
export async function historyBefore(db: Executor, job: Pick<Row<'jobs'>, 'session_id' | 'id'>): Promise<HistoryTurn[]> {
  if (job.session_id === null) return [];
  const turns = await turnsBeforeJob(db, job.session_id, job.id);
  return turns.map((t) => {
    const state = t.tool_calls.find((c) => c.name === 'suggest_changes')?.status;
    const note = typeof state === 'string' ? STATUS_NOTE[state] : undefined;
    return { role: t.role, content: note ? `${t.content}\n${note}` : t.content };
  });
}
