import { Conflict, ValidationError } from '../domain/errors.js';
import { yielder, yieldToEventLoop } from '../domain/event-loop.js';
import { emptyUsage } from '../domain/jobs.js';
import { normalizedValue, type ScenarioCreate, type ScenarioFields, type ScenarioPatch, sameValue } from '../domain/scenario.js';
import type { ApplyJobRequest } from '../domain/scenario-agent.js';
import { storableProblem } from '../domain/storable.js';
import {
  type ApplyConflict,
  type ApplyResult,
  blankResult,
  draftEdits,
  isEdit,
  isSuggestibleField,
  readUpdatedScenarios,
  type Suggestion,
  type UpdatedScenario,
  type ValidationIssue,
  valuesOf,
} from '../domain/suggestion.js';
import { appliedKeys, appliedState, changeKeys } from '../domain/suggestion-review.js';
import { failedOutcome } from '../jobs/storable-outcome.js';
import { type JobContext, type JobHandler, type JobOutcome, OutcomeInstead } from '../jobs/types.js';
import { type ChangesetEntry, ChangesetRecorder } from '../store/changesets.js';
import type { Tx } from '../store/db.js';
import { setReviewState } from '../store/job-review.js';
import { findJobState, resultItems } from '../store/jobs.js';
import { apiKeyName } from '../store/organizations.js';
import type { LaterRevision } from '../store/revisions-since.js';
import {
  type Actor,
  createScenario,
  loadScenarios,
  prepareScenarioUpdate,
  prepareScenarioVersions,
  type ReferenceLookups,
  scenarioFieldsOf,
  storeScenarioVersions,
} from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import { markLatestPreview } from '../store/sessions.js';
import { rowsPerPart, WritesInFlight } from '../store/set-writes.js';
import { fieldsAppliedSinceBySameJob, keysAppliedBefore, revisionsSinceBases, staleVerdict } from './same-job-applies.js';

function rejected(job: Row<'jobs'>, conflicts: ApplyConflict[], issues: ValidationIssue[]): JobOutcome {
  const parts = [];
  if (conflicts.length) parts.push(`${conflicts.length} scenario(s) changed since the suggestion was made (${conflicts.map((c) => c.scenario_id).join(', ')})`);
  if (issues.length) parts.push(`${issues.length} change(s) are no longer valid`);
  const message = `Nothing was applied: ${parts.join(' and ')}. Ask for fresh suggestions and apply those.`;
  return {
    status: 'completed',
    result: { ...blankResult('apply', job.session_id), success: false, message, conflicts, validation_issues: issues },
    error: null,
    usage: emptyUsage(),
    reply: { content: message, toolCalls: [] },
  };
}

/** Nothing to write: the suggestions were applied before (by that job, when known). */
function alreadyApplied(job: Row<'jobs'>, by: string | null): JobOutcome {
  const message = `These suggestions were already applied${by ? ` (by job ${by})` : ''}; nothing was written.`;
  return {
    status: 'completed',
    result: { ...blankResult('apply', job.session_id), message, already_applied: true },
    error: null,
    usage: emptyUsage(),
    reply: { content: message, toolCalls: [] },
  };
}

/** The fields of a suggestion the reviewer corrected: against what its job suggested when known, else against the `changes` it was sent with. */
function editedOf(s: Suggestion, suggested: UpdatedScenario | undefined): string[] {
  if (!suggested) return s.changes.filter((c) => c.edited).map((c) => c.field);
  return s.changes.filter((c) => c.field in (suggested.changes ?? {}) && isEdit(c.field, c.value, suggested.changes![c.field]!.new)).map((c) => c.field);
}

/** A revision's reason, naming the fields the reviewer corrected before applying. */
const withEdits = (from: string, corrected: readonly string[]) =>
  corrected.length ? `${from} The reviewer edited ${corrected.join(', ')} before applying.` : from;

/** The change keys (as changeKeys gives them) of suggestions outside this apply whose values their scenarios hold now. */
async function stillHeld(tx: Tx, organizationId: number, items: UpdatedScenario[], sent: ReadonlySet<string>): Promise<string[]> {
  const rest = items.filter((u) => typeof u.id === 'number' && [...changeKeys([u])].some((k) => !sent.has(k)));
  const rows = new Map(
    (
      await loadScenarios(
        tx,
        organizationId,
        rest.map((u) => u.id as number),
      )
    ).map((r) => [r.id, scenarioFieldsOf(r)]),
  );
  return rest.flatMap((u) => {
    const now = rows.get(u.id as number);
    return Object.entries(u.changes ?? {}).flatMap(([f, c]) =>
      now && isSuggestibleField(f) && sameValue(now[f], normalizedValue(f, c.new)) ? [`${u.id}:${f}`] : [],
    );
  });
}

/**
 * Suggestions checked between two turns of the event loop: a millisecond or two of work. On
 * PostgreSQL the loop has no idle turns while writes are in flight, so another request waits a
 * turn of this for each step it takes.
 */
const CHECKS_PER_TURN = 25;

const scenarioIdsOf = (suggestions: readonly Suggestion[]) => suggestions.map((s) => s.scenario_id);

export async function actorOf(tx: Tx, job: Row<'jobs'>): Promise<Actor> {
  const name = job.created_by === null ? undefined : await apiKeyName(tx, job.created_by);
  return { keyId: job.created_by, name: name ?? 'api' };
}

/** A suggestion that passed its checks: its scenario as read, the fields it sets, and the version they make. */
export interface CheckedWrite {
  current: Row<'scenarios'>;
  before: ScenarioFields;
  set: Partial<ScenarioFields>;
  merged: ScenarioFields;
  suggestion: Suggestion;
}

/**
 * Each suggestion checked as a write of it would be, inside the transaction that writes: against the
 * revision it was based on (past which only applies of the same job, `source`, may have moved it:
 * see same-job-applies.ts), the job's project, and the rules of a user's write. What passes is
 * ready to write; the rest is named.
 */
export async function checkSuggestions(
  tx: Tx,
  organizationId: number,
  projectId: number,
  suggestions: readonly Suggestion[],
  opts: {
    /** The job whose suggestions these are (its progress_id). */
    source?: string;
    /** The suggestions' scenarios when the caller read them already (loadScenarios). */
    loaded?: readonly Row<'scenarios'>[];
    /** The revisions since the suggestions' bases when the caller read them already (revisionsSinceBases). */
    later?: readonly LaterRevision[];
    /** What checks of the same request looked up already (a part checked before). */
    lookups?: ReferenceLookups;
  } = {},
): Promise<{
  writes: CheckedWrite[];
  conflicts: ApplyConflict[];
  issues: ValidationIssue[];
  inEffect: number;
}> {
  const { source, lookups = new Map() } = opts;
  const read = opts.loaded ?? (await loadScenarios(tx, organizationId, scenarioIdsOf(suggestions)));
  const rows = new Map(read.map((r) => [r.id, r]));
  const sameJob = await fieldsAppliedSinceBySameJob(tx, organizationId, source, suggestions, rows, opts.later);
  const conflicts: ApplyConflict[] = [];
  const issues: ValidationIssue[] = [];
  const writes: CheckedWrite[] = [];
  // Suggestions whose values the scenario already holds (an apply sent twice): nothing to write, nothing in conflict.
  let inEffect = 0;
  // Checking 10,000 changes is long synchronous work: other requests get turns between.
  const breathe = yielder(CHECKS_PER_TURN);
  for (const s of suggestions) {
    const turn = breathe();
    if (turn) await turn;
    const id = s.scenario_id;
    const row = rows.get(id);
    if (!row) {
      conflicts.push({ scenario_id: id, based_on_revision: s.based_on_revision, current_revision: null, reason: 'deleted' });
      continue;
    }
    if (row.project_id !== projectId) {
      issues.push({ scenario_id: id, field: null, message: `Scenario ${id} is not in project ${projectId}.` });
      continue;
    }
    if (s.based_on_revision !== null && row.revision !== s.based_on_revision) {
      const verdict = staleVerdict(s.changes, scenarioFieldsOf(row), sameJob.get(id));
      if (verdict === 'in_effect') inEffect++;
      if (verdict === 'conflict')
        conflicts.push({ scenario_id: id, based_on_revision: s.based_on_revision, current_revision: row.revision, reason: 'changed' });
      if (verdict !== 'write') continue;
    }
    const prepared = await prepareScenarioUpdate(tx, organizationId, row, valuesOf(s) as ScenarioPatch, lookups);
    if (prepared.errors) {
      for (const [field, messages] of Object.entries(prepared.errors)) issues.push({ scenario_id: id, field, message: messages.join(' ') });
      continue;
    }
    writes.push({ current: row, before: prepared.before, set: prepared.set, merged: prepared.merged, suggestion: s });
  }
  return { writes, conflicts, issues, inEffect };
}

/**
 * Applies suggestions in the transaction that finishes the job: every change or none. Each is
 * checked against the revision it was based on and against the rules of a user's write first.
 */
export const applyJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job } = ctx;
  const req = ctx.request as ApplyJobRequest;
  // Items come from the edge, which refuses what cannot be stored; a request submitted another way is
  // checked here. A big apply's request is megabytes: the check, and the work after it, get turns of their own.
  await yieldToEventLoop();
  const unstorable = storableProblem({ suggestions: req.suggestions, drafts: req.drafts, updated_scenarios: req.updated_scenarios });
  if (unstorable) return failedOutcome(job, `${unstorable.path.join('.')}: ${unstorable.message} Nothing was written.`);
  await yieldToEventLoop();
  // Checked by the submit; only a request stored before it kept them checked is read again.
  const { suggestions, drafts } = req.suggestions
    ? { suggestions: req.suggestions, drafts: req.drafts ?? [] }
    : readUpdatedScenarios(req.updated_scenarios ?? []);
  const total = suggestions.length + drafts.length;
  const applied: number[] = [];
  const created: number[] = [];
  const changesetIds: number[] = [];
  const edited: ApplyResult['edited_fields'] = [];

  const commit = async (tx: Tx) => {
    const now = ctx.now();
    const actor = await actorOf(tx, job);
    const source = req.source_job_id ? await findJobState(tx, req.source_job_id) : undefined;
    // Drafts leave no trace to compare with: their job's state alone says they were created before.
    const sourceApplied = source?.review_state === 'applied';
    if (sourceApplied && drafts.length && !suggestions.length) throw new OutcomeInstead(alreadyApplied(job, source.applied_by));
    // The suggestions the source job made, drafts included.
    const sourceItems = source ? await resultItems(tx, source.id) : [];
    // Per scenario, what its job suggested, to tell the reviewer's corrections from the suggestion.
    const suggested = new Map(sourceItems.flatMap((u) => (typeof u.id === 'number' ? [[u.id, u] as const] : [])));
    const from = `Applied from session ${job.session_id ?? '-'}${source ? ` (suggestions of job ${source.progress_id})` : ''}.`;
    const conflicts: ApplyConflict[] = [];
    const issues: ValidationIssue[] = [];
    let inEffect = 0;
    let written = 0;
    const changeset = new ChangesetRecorder(tx, {
      organizationId: job.organization_id,
      kind: 'apply',
      actor,
      now,
      jobId: job.id,
      sessionId: job.session_id,
      summary: from,
    });
    try {
      // Checked and written a part at a time, so a part's rows are not kept for the end; after the
      // first problem the rest is only checked, every problem is named, and the transaction rolls
      // back what the parts before it wrote. On PostgreSQL a part's writes run while the next part
      // is checked: that part is read before them, so its rows do not wait for them either.
      const perPart = rowsPerPart(tx);
      const parts = Array.from({ length: Math.ceil(suggestions.length / perPart) }, (_, k) => suggestions.slice(k * perPart, (k + 1) * perPart));
      const inFlight = new WritesInFlight(tx);
      const lookups: ReferenceLookups = new Map();
      // A part's scenarios and the revisions since its suggestions' bases are read together, before
      // the writes of the part before it are sent.
      const read = (k: number) => {
        const rows = loadScenarios(tx, job.organization_id, scenarioIdsOf(parts[k]!));
        const later = revisionsSinceBases(tx, job.organization_id, source?.progress_id, parts[k]!);
        const both = Promise.all([rows, later]);
        // Waited for below, or before the transaction ends when a failure ends the loop first.
        both.catch(() => {});
        return both;
      };
      let next: Promise<[Row<'scenarios'>[], LaterRevision[]]> | undefined = parts.length ? read(0) : undefined;
      try {
        for (let k = 0; next; k++) {
          const reading = next;
          next = undefined;
          const [loaded, later] = await reading;
          // A write lost its race: the transaction rolls back whatever comes next.
          if (inFlight.failed) break;
          if (k + 1 < parts.length) next = read(k + 1);
          const part = await checkSuggestions(tx, job.organization_id, req.project_id, parts[k]!, { source: source?.progress_id, loaded, later, lookups });
          conflicts.push(...part.conflicts);
          issues.push(...part.issues);
          inEffect += part.inEffect;
          if (conflicts.length || issues.length || !part.writes.length) continue;
          const reasoned = part.writes.map((w) => {
            // A corrected value the scenario holds already (sent again with a later part) is not this write's.
            const corrected = editedOf(w.suggestion, suggested.get(w.current.id)).filter(
              (f) => !sameValue(w.before[f as keyof ScenarioFields], w.merged[f as keyof ScenarioFields]),
            );
            if (corrected.length) edited.push({ scenario_id: w.current.id, fields: corrected });
            return { current: w.current, merged: w.merged, before: w.before, set: w.set, reason: withEdits(from, corrected), edited: corrected };
          });
          const prepared = await prepareScenarioVersions(actor, reasoned, { now, changeType: 'apply', reason: from, source: source?.progress_id });
          for (const w of part.writes) applied.push(w.current.id);
          written += part.writes.length;
          const { versions } = prepared;
          const items = await changeset.stage(part.writes.map((w, i) => ({ before: w.current, after: versions[i]!.row, changes: versions[i]!.changes })));
          await inFlight.add(storeScenarioVersions(tx, prepared).then(() => changeset.store(items)));
        }
      } catch (error) {
        await next?.then(
          () => {},
          () => {},
        );
        // Reading after a write that failed is refused: the write's failure is the one to name.
        await inFlight.settle({ error });
      }
      await inFlight.settle();
      if (conflicts.length || issues.length) throw new OutcomeInstead(rejected(job, conflicts, issues));
      if (inEffect && !written && (!drafts.length || sourceApplied)) throw new OutcomeInstead(alreadyApplied(job, source?.applied_by ?? null));
      const entries: ChangesetEntry[] = [];
      for (const d of drafts) {
        const corrected = draftEdits(d, sourceItems);
        const origin = { reason: withEdits(from, corrected), source: source?.progress_id, edited: corrected };
        const row = await createScenario(tx, job.organization_id, actor, { ...(d.scenario as ScenarioCreate), project: req.project_id }, now, origin);
        created.push(row.id);
        if (corrected.length) edited.push({ scenario_id: row.id, fields: corrected });
        entries.push({ before: null, after: row });
      }
      await changeset.add(entries);
      changesetIds.push(...(await changeset.finish()));
    } catch (e) {
      // A concurrent writer won the race, or a draft no longer validates: the transaction rolls back.
      if (e instanceof Conflict) {
        const c = (e.details?.conflicts as ApplyConflict[] | undefined) ?? [];
        throw new OutcomeInstead(
          rejected(
            job,
            c.map((x) => ({ ...x, current_revision: x.current_revision ?? null, reason: 'changed' })),
            [],
          ),
        );
      }
      if (e instanceof ValidationError) {
        throw new OutcomeInstead(
          rejected(
            job,
            [],
            Object.entries(e.fields).map(([field, m]) => ({ scenario_id: null, field, message: m.join(' ') })),
          ),
        );
      }
      throw e;
    }
    if (job.session_id !== null) await markLatestPreview(tx, job.session_id, 'applied');
    if (source) {
      // Keys of 10,000 suggestions each way: the turns around them are the end's own.
      await yieldToEventLoop();
      const sent = appliedKeys(suggestions, drafts);
      // Suggestions applied by an earlier apply of part of them count too: the scenario still holds their values, or a revision says that apply wrote them.
      const earlier =
        source.review_state === 'partly_applied'
          ? [
              ...(await stillHeld(tx, job.organization_id, sourceItems, sent)),
              ...(await keysAppliedBefore(tx, job.organization_id, source.progress_id, sourceItems, sent)),
            ]
          : [];
      const state = appliedState(changeKeys(sourceItems), new Set([...sent, ...earlier]));
      await yieldToEventLoop();
      await setReviewState(tx, source.id, state, { appliedBy: job.progress_id });
    }
  };

  // The message and reply are read after the commit ran, when the ids are known.
  const result: ApplyResult = {
    ...blankResult('apply', job.session_id),
    get message() {
      return `Applied ${applied.length + created.length} change(s): ${applied.length} scenario(s) updated, ${created.length} created.`;
    },
    applied_scenario_ids: applied,
    created_scenario_ids: created,
    edited_fields: edited,
    // Beyond the reference: the changeset to list, show or revert this apply by.
    get changeset_id() {
      return changesetIds[0] ?? null;
    },
  };
  return {
    status: 'completed',
    result,
    error: null,
    usage: emptyUsage(),
    get reply() {
      return { content: result.message, toolCalls: [] };
    },
    progress: { done: total, total },
    commit,
  };
};
