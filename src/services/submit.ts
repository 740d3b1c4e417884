import type { Config } from '../config.js';
import { capsOf } from '../domain/cost.js';
import { FieldErrorCollector, ValidationError } from '../domain/errors.js';
import { yieldToEventLoop } from '../domain/event-loop.js';
import { type JobKind, titleFromMessage } from '../domain/jobs.js';
import { type ApplyJobRequest, type ClarifyJobRequest, draftCountAskedFor, type ImproveJobRequest, type ScenarioAgentBody } from '../domain/scenario-agent.js';
import { readUpdatedScenarios, repeatedScenarioErrors } from '../domain/suggestion.js';
import { keepSubmitted } from '../jobs/submitted-requests.js';
import { jobTunables } from '../jobs/tunables.js';
import { agentNamesOfProject, findAgentSummary } from '../store/aiagents.js';
import type { Db, Executor } from '../store/db.js';
import { waitingReviewOfSession } from '../store/job-review.js';
import { findJobByProgressId, insertJob, latestJobOfSession } from '../store/jobs.js';
import { existingKnowledgeBaseIds } from '../store/knowledge-base-files.js';
import { projectExists } from '../store/projects.js';
import { resolveScenarioSelection, scenarioRefs } from '../store/scenario-selection.js';
import { allowedToolIds } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import { appendTurn, createSession, getSession, updateSession } from '../store/sessions.js';

export interface Submitter {
  organizationId: number;
  keyId: number;
}

export interface Planned {
  kind: JobKind;
  mode: 'improve' | 'clarify';
  projectId: number;
  request: ImproveJobRequest | ClarifyJobRequest | ApplyJobRequest;
  scenarioIds: number[];
  total: number;
}

const invalidPk = (id: unknown) => `Invalid pk "${String(id)}" - object does not exist.`;

/** Checks the ids the body names that must be the caller's: agent, project, session, files, tools. */
async function checkReferences(db: Executor, orgId: number, body: ScenarioAgentBody) {
  const errors = new FieldErrorCollector();
  const agent = body.agent_id ? await findAgentSummary(db, orgId, body.agent_id) : undefined;
  if (body.agent_id && !agent) errors.add('agent_id', invalidPk(body.agent_id));
  if (body.project_id) {
    if (!(await projectExists(db, orgId, body.project_id))) errors.add('project_id', invalidPk(body.project_id));
    else if (agent && agent.project_id !== body.project_id) errors.add('agent_id', `Agent ${agent.id} is not in project ${body.project_id}.`);
  }
  let session: Row<'sessions'> | undefined;
  if (body.session_id) {
    session = await getSession(db, orgId, body.session_id).catch(() => undefined);
    if (!session) errors.add('session_id', invalidPk(body.session_id));
  }
  if (body.knowledge_base?.length) {
    const known = await existingKnowledgeBaseIds(db, orgId, body.knowledge_base);
    for (const id of body.knowledge_base) if (!known.has(id)) errors.add('knowledge_base', invalidPk(id));
  }
  if (body.tool_ids?.length) {
    const allowed = await allowedToolIds(db, orgId);
    for (const t of body.tool_ids) if (!allowed.has(t)) errors.add('tool_ids', `Unknown tool id "${t}".`);
  }
  // Phone numbers are not a resource here, so no id can name one.
  for (const n of body.inbound_phone_numbers ?? []) errors.add('inbound_phone_numbers', invalidPk(n));
  errors.throwIfAny();
  return { agent, session };
}

/** Which agent the user chose, from `agent_selections` or the free-text `agent_resolution_response`. */
async function resolveAgentChoice(db: Executor, orgId: number, projectId: number, body: ScenarioAgentBody, needing: number[]): Promise<Record<string, number>> {
  const agents = await agentNamesOfProject(db, orgId, projectId);
  const ids = new Set(agents.map((a) => a.id));
  if (body.agent_selections && Object.keys(body.agent_selections).length) {
    const errors = new FieldErrorCollector();
    for (const [sid, aid] of Object.entries(body.agent_selections)) {
      if (!ids.has(aid)) errors.add('agent_selections', `${sid}: ${invalidPk(aid)}`);
      if (!needing.includes(Number(sid))) errors.add('agent_selections', `${sid}: this scenario was not waiting for an agent.`);
    }
    errors.throwIfAny();
    return body.agent_selections;
  }
  const answer = body.agent_resolution_response.trim();
  const byId = /^\d+$/.test(answer) ? agents.find((a) => a.id === Number(answer)) : undefined;
  const byName = agents.filter((a) => a.agent_name.toLowerCase() === answer.toLowerCase());
  const chosen = byId ?? (byName.length === 1 ? byName[0] : undefined);
  if (!chosen) {
    const choices = agents.map((a) => `${a.agent_name} (${a.id})`).join(', ') || 'none';
    throw ValidationError.field('agent_resolution_response', `"${answer}" names no single agent of this project. Choose one of: ${choices}.`);
  }
  return Object.fromEntries(needing.map((id) => [String(id), chosen.id]));
}

/** The job whose suggestions an apply carries: the one named, or the session's latest still waiting for review. */
async function sourceOfApply(
  db: Executor,
  orgId: number,
  progressId: string | undefined,
  sessionId: number | undefined,
): Promise<Pick<Row<'jobs'>, 'id'> | undefined> {
  if (progressId === undefined) return sessionId ? waitingReviewOfSession(db, sessionId) : undefined;
  const job = await findJobByProgressId(db, orgId, progressId);
  if (!job || (job.kind !== 'improve' && job.kind !== 'clarify'))
    throw ValidationError.field('source_progress_id', 'Name an improve or clarify job of yours (its progress_id).');
  return job;
}

type ReadItems = ReturnType<typeof readUpdatedScenarios>;

/**
 * An apply's items read and checked a hundred at a time: 10,000 of them are a quarter of a second
 * of checks, and other requests get their turns between the parts.
 */
async function readItemsInTurns(items: ReadonlyArray<Record<string, unknown>>): Promise<ReadItems> {
  const out: ReadItems = { suggestions: [], drafts: [], errors: [] };
  for (let i = 0; i < items.length; i += ITEMS_PER_TURN) {
    if (items.length > ITEMS_PER_TURN) await yieldToEventLoop();
    const part = readUpdatedScenarios(items.slice(i, i + ITEMS_PER_TURN), i);
    out.suggestions.push(...part.suggestions);
    out.drafts.push(...part.drafts);
    out.errors.push(...part.errors);
  }
  return out;
}
const ITEMS_PER_TURN = 100;

async function plan(
  db: Executor,
  orgId: number,
  body: ScenarioAgentBody,
  refs: Awaited<ReturnType<typeof checkReferences>>,
  items?: ReadItems,
): Promise<Planned> {
  const { agent, session } = refs;
  // The session's latest job (its row holds its whole result) is read only by the requests that continue it.
  const previousJob = () => (session ? latestJobOfSession(db, session.id) : Promise.resolve(undefined));
  const resuming = (body.agent_resolution_response.trim() !== '' || Object.keys(body.agent_selections ?? {}).length > 0) && !body.apply_changes;

  // With scenarios and no suggestions to apply, apply_changes asks for an improve that applies its own.
  const improveAndApply = body.apply_changes && !body.updated_scenarios?.length && body.scenarios !== undefined && body.scenarios !== null;
  if (body.apply_changes && !improveAndApply) {
    if (!body.updated_scenarios?.length)
      throw ValidationError.field('updated_scenarios', 'Send the suggestions to apply with apply_changes: true, or the scenarios to improve and apply.');
    const { suggestions, drafts, errors } = items ?? readUpdatedScenarios(body.updated_scenarios);
    errors.push(...repeatedScenarioErrors(body.updated_scenarios));
    if (errors.length) throw new ValidationError({ updated_scenarios: errors.slice(0, 50) });
    const refs = await scenarioRefs(
      db,
      orgId,
      suggestions.map((s) => s.scenario_id),
    );
    const projects = new Set(refs.map((r) => r.project_id));
    const projectId = body.project_id ?? agent?.project_id ?? refs[0]?.project_id ?? session?.project_id ?? null;
    if (!projectId) throw ValidationError.field('project_id', 'Required to apply new scenarios.');
    if (projects.size > 1 || (refs[0] && refs[0].project_id !== projectId)) {
      throw ValidationError.field('updated_scenarios', 'All scenarios of one apply must belong to the same project.');
    }
    const source = await sourceOfApply(db, orgId, body.source_progress_id, session?.id);
    const request: ApplyJobRequest = { project_id: projectId, suggestions, drafts, ...(source ? { source_job_id: source.id } : {}) };
    return { kind: 'apply', mode: 'improve', projectId, request, scenarioIds: refs.map((r) => r.id), total: suggestions.length + drafts.length };
  }

  if (resuming) {
    const previous = await previousJob();
    if (previous?.status !== 'needs_agent_clarification') {
      throw ValidationError.field('session_id', 'An agent answer continues a session whose last job asked which agent to use.');
    }
    const held = JSON.parse(previous.request) as ImproveJobRequest;
    const needing = (JSON.parse(previous.result ?? '{}') as { scenarios_needing_agent?: number[] }).scenarios_needing_agent ?? [];
    const selections = await resolveAgentChoice(db, orgId, held.project_id, body, needing);
    const request: ImproveJobRequest = { ...held, agent_selections: { ...held.agent_selections, ...selections }, resumed: true };
    return { kind: 'improve', mode: 'improve', projectId: held.project_id, request, scenarioIds: held.scenario_ids, total: held.scenario_ids.length };
  }

  if (body.scenarios !== undefined && body.scenarios !== null) {
    if (!body.user_message.trim()) throw ValidationError.field('user_message', 'Say what to change.');
    const scope = { agentId: agent?.id ?? null, projectId: body.project_id ?? agent?.project_id ?? session?.project_id ?? null };
    const { ids, projectId } = await resolveScenarioSelection(db, orgId, body.scenarios, scope);
    if (!ids.length) throw ValidationError.field('scenarios', 'No scenarios match this selection.');
    const request: ImproveJobRequest = {
      user_message: body.user_message,
      scenario_ids: ids,
      agent_id: agent?.id ?? null,
      project_id: projectId!,
      agent_selections: {},
      resumed: false,
      ...(improveAndApply ? { apply_changes: true } : {}),
    };
    return { kind: 'improve', mode: 'improve', projectId: projectId!, request, scenarioIds: ids, total: ids.length };
  }

  // Clarify: the agent comes from the body or from the clarify job this session continues.
  const previous = await previousJob();
  const heldAgent = previous?.kind === 'clarify' ? (JSON.parse(previous.request) as ClarifyJobRequest).agent_id : undefined;
  const clarifyAgent = agent ?? (heldAgent ? await findAgentSummary(db, orgId, heldAgent) : undefined);
  if (!clarifyAgent) throw ValidationError.field('agent_id', 'Required to generate scenarios (no "scenarios" were given, so this is a request for new ones).');
  if (!body.user_message.trim() && !body.knowledge_base?.length) throw ValidationError.field('user_message', 'Describe the scenarios you want.');
  // num_scenarios defaults to 1, so a count the request states ("write three scenarios") wins over the
  // default, and an answer to a question keeps the count its session asked for.
  const heldCount = previous?.kind === 'clarify' ? (JSON.parse(previous.request) as ClarifyJobRequest).num_scenarios : undefined;
  const count = body.num_scenarios !== 1 ? body.num_scenarios : (draftCountAskedFor(body.user_message) ?? heldCount ?? 1);
  const request: ClarifyJobRequest = {
    user_message: body.user_message,
    agent_id: clarifyAgent.id,
    project_id: clarifyAgent.project_id,
    num_scenarios: count,
    knowledge_base: body.knowledge_base ?? [],
    tool_ids: body.tool_ids ?? [],
  };
  return { kind: 'clarify', mode: 'clarify', projectId: clarifyAgent.project_id, request, scenarioIds: [], total: count };
}

/**
 * A scenario-agent request checked and resolved as a submission would be, with the session it
 * continues: what a dry run estimates. Reads only.
 */
export async function planScenarioAgent(db: Executor, organizationId: number, body: ScenarioAgentBody): Promise<Planned & { sessionId: number | null }> {
  const refs = await checkReferences(db, organizationId, body);
  const planned = await plan(db, organizationId, body, refs);
  if (refs.session && refs.session.project_id !== null && refs.session.project_id !== planned.projectId) {
    throw ValidationError.field('session_id', `Session ${refs.session.id} belongs to another project.`);
  }
  return { ...planned, sessionId: refs.session?.id ?? null };
}

/**
 * Validates a scenario-agent request and records it: the session (new or continued), any context
 * turns, the job row and the user's turn, in one transaction. Only then is it acknowledged.
 */
export async function submitScenarioAgent(
  db: Db,
  config: Config,
  caller: Submitter,
  body: ScenarioAgentBody,
  now: string,
  /** A clarify request run as a generation (generate-bg/): the same job kind; its drafts are created as scenarios. */
  generation?: Record<string, unknown>,
): Promise<Row<'jobs'>> {
  const orgId = caller.organizationId;
  // Read before the transaction: checking the items needs no database, and the writer stays free meanwhile.
  const items = body.apply_changes && body.updated_scenarios?.length ? await readItemsInTurns(body.updated_scenarios) : undefined;
  const { job, request } = await db.transaction().execute(async (tx) => {
    const refs = await checkReferences(tx, orgId, body);
    const planned = await plan(tx, orgId, body, refs, items);
    if (planned.kind !== 'apply') planned.request = { ...planned.request, ...capsOf(body) } as Planned['request'];
    if (generation) {
      if (planned.kind !== 'clarify') throw ValidationError.field('non_field_errors', 'A generation drafts new scenarios; it takes no scenarios.');
      planned.request = { ...(planned.request as ClarifyJobRequest), generation } as ClarifyJobRequest;
    }
    if (refs.session && refs.session.project_id !== null && refs.session.project_id !== planned.projectId) {
      throw ValidationError.field('session_id', `Session ${refs.session.id} belongs to another project.`);
    }
    let sessionId = refs.session?.id;
    if (!sessionId) {
      const session = await createSession(
        tx,
        {
          organizationId: orgId,
          projectId: planned.projectId,
          title: titleFromMessage(body.user_message),
          scenarioIds: planned.scenarioIds,
          createdBy: caller.keyId,
        },
        now,
      );
      sessionId = session.id;
      for (const turn of body.context ?? []) await appendTurn(tx, sessionId, { role: turn.role, content: turn.content }, now);
    } else {
      const patch: Parameters<typeof updateSession>[2] = { status: 'in_progress' };
      if (!refs.session!.title) patch.title = titleFromMessage(body.user_message);
      if (planned.scenarioIds.length && planned.kind === 'improve') patch.scenarioIds = planned.scenarioIds;
      await updateSession(tx, sessionId, patch, now);
    }
    // Storing an apply's megabytes of request (serialized, written, read back) takes a turn of its own.
    if (planned.kind === 'apply') await yieldToEventLoop();
    const job = await insertJob(
      tx,
      {
        organizationId: orgId,
        projectId: planned.projectId,
        sessionId,
        kind: planned.kind,
        mode: planned.mode,
        request: planned.request,
        maxAttempts: jobTunables(config).maxAttempts,
        createdBy: caller.keyId,
        progressTotal: planned.total,
      },
      now,
    );
    const userTurn =
      planned.kind === 'apply'
        ? `Apply ${planned.total} suggested change(s).`
        : body.user_message || body.agent_resolution_response || 'Chose the agent for the held scenarios.';
    await appendTurn(tx, sessionId, { role: 'user', content: userTurn, jobId: job.id }, now);
    await updateSession(tx, sessionId, { status: 'in_progress' }, now);
    return { job, request: planned.request };
  });
  keepSubmitted(job.progress_id, request);
  return job;
}
