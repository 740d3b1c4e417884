import { FieldErrorCollector, ValidationError } from '../domain/errors.js';
import { type SessionStatus, titleFromMessage } from '../domain/jobs.js';
import { setReviewState, waitingReviewOfSession } from '../store/job-review.js';
import { assertReferences } from '../store/ownership.js';
import { firstScenarioIds, resolveScenarioSelection, scenarioRefs } from '../store/scenario-selection.js';
import type { Row } from '../store/schema.js';
import { createSession, getSession, markLatestPreview, replaceTurns, type TurnWrite, updateSession } from '../store/sessions.js';
import { type Caller, nowOf, type ServiceContext } from './context.js';

export interface NewSessionInput {
  project?: number | null;
  title?: string;
  /** Scenario ids, "all" of the project, or the first N scenarios of the project. */
  scenario_selection?: number[] | 'all' | number;
}

/** Opens a session before any job, on the scenarios the selection names. */
export async function openSession(ctx: ServiceContext, caller: Caller, input: NewSessionInput): Promise<Row<'sessions'>> {
  const { db } = ctx.store;
  const orgId = caller.organizationId;
  const { project, title, scenario_selection } = input;
  await assertReferences(db, orgId, [{ field: 'project', table: 'projects', id: project }]);
  let scenarioIds: number[] = [];
  let projectId = project ?? null;
  if (typeof scenario_selection === 'number') {
    if (!projectId) throw ValidationError.field('project', 'Required when scenario_selection is a number.');
    scenarioIds = await firstScenarioIds(db, orgId, projectId, scenario_selection);
  } else if (scenario_selection !== undefined) {
    const resolved = await resolveScenarioSelection(db, orgId, scenario_selection, { agentId: null, projectId }, 'scenario_selection');
    scenarioIds = resolved.ids;
    projectId ??= resolved.projectId;
  }
  return createSession(db, { organizationId: orgId, projectId, title: titleFromMessage(title ?? '', 255), scenarioIds, createdBy: caller.keyId }, nowOf(ctx));
}

/**
 * Renames a session, sets its status or its scenarios by hand, or writes its conversation back
 * (the reference keeps `conversation_history` writable); answers the session as it now is.
 */
export async function editSession(
  ctx: ServiceContext,
  caller: Caller,
  sessionId: number,
  patch: { title?: string; status?: SessionStatus; scenario_ids?: number[]; conversation_history?: TurnWrite[] },
): Promise<Row<'sessions'>> {
  const { db } = ctx.store;
  const session = await getSession(db, caller.organizationId, sessionId);
  if (patch.scenario_ids) {
    const found = new Map((await scenarioRefs(db, caller.organizationId, patch.scenario_ids)).map((r) => [r.id, r]));
    const errors = new FieldErrorCollector();
    for (const id of patch.scenario_ids) {
      const ref = found.get(id);
      if (!ref) errors.add('scenario_ids', `Invalid pk "${id}" - object does not exist.`);
      else if (session.project_id !== null && ref.project_id !== session.project_id)
        errors.add('scenario_ids', `Scenario ${id} is not in project ${session.project_id}.`);
    }
    errors.throwIfAny();
  }
  const now = nowOf(ctx);
  await db.transaction().execute(async (tx) => {
    await updateSession(tx, sessionId, { title: patch.title, status: patch.status, scenarioIds: patch.scenario_ids && [...new Set(patch.scenario_ids)] }, now);
    if (patch.conversation_history) await replaceTurns(tx, sessionId, patch.conversation_history, now);
  });
  return getSession(db, caller.organizationId, sessionId);
}

/**
 * Marks a session's latest preview as discarded, so the next request in it knows the user rejected
 * it, and the job whose suggestions wait says discarded.
 */
export async function discardLatestPreview(ctx: ServiceContext, caller: Caller, sessionId: number): Promise<boolean> {
  await getSession(ctx.store.db, caller.organizationId, sessionId);
  return ctx.store.db.transaction().execute(async (tx) => {
    const marked = await markLatestPreview(tx, sessionId, 'discarded');
    const waiting = await waitingReviewOfSession(tx, sessionId);
    if (waiting) await setReviewState(tx, waiting.id, 'discarded');
    return marked || Boolean(waiting);
  });
}
