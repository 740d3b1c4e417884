import { ValidationError } from '../domain/errors.js';
import { titleFromMessage, type SessionStatus } from '../domain/jobs.js';
import { assertReferences } from '../store/ownership.js';
import { firstScenarioIds, resolveScenarioSelection } from '../store/scenario-selection.js';
import type { Row } from '../store/schema.js';
import { createSession, getSession, markLatestPreview, updateSession } from '../store/sessions.js';
import { nowOf, type Caller, type ServiceContext } from './context.js';

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

/** Renames a session or sets its status by hand; answers the session as it now is. */
export async function editSession(ctx: ServiceContext, caller: Caller, sessionId: number, patch: { title?: string; status?: SessionStatus }): Promise<Row<'sessions'>> {
  const { db } = ctx.store;
  await getSession(db, caller.organizationId, sessionId);
  await updateSession(db, sessionId, { title: patch.title, status: patch.status }, nowOf(ctx));
  return getSession(db, caller.organizationId, sessionId);
}

/** Marks a session's latest preview as discarded, so the next request in it knows the user rejected it. */
export async function discardLatestPreview(ctx: ServiceContext, caller: Caller, sessionId: number): Promise<boolean> {
  await getSession(ctx.store.db, caller.organizationId, sessionId);
  return markLatestPreview(ctx.store.db, sessionId, 'discarded');
}
