import { Conflict, ValidationError } from '../domain/errors.js';
import { yielder } from '../domain/event-loop.js';
import { emptyUsage } from '../domain/jobs.js';
import type { ScenarioCreate, ScenarioFields, ScenarioPatch } from '../domain/scenario.js';
import type { ApplyJobRequest } from '../domain/scenario-agent.js';
import { blankResult, readUpdatedScenarios, valuesOf, type ApplyConflict, type ApplyResult, type ValidationIssue } from '../domain/suggestion.js';
import type { Tx } from '../store/db.js';
import { apiKeyName } from '../store/organizations.js';
import { createScenario, loadScenarios, prepareScenarioUpdate, writeMergedMany, type Actor, type ReferenceLookups } from '../store/scenarios.js';
import { recordChangeset, type ChangesetEntry } from '../store/changesets.js';
import { markLatestPreview } from '../store/sessions.js';
import type { Row } from '../store/schema.js';
import { OutcomeInstead, type JobContext, type JobHandler, type JobOutcome } from '../jobs/types.js';

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

async function actorOf(tx: Tx, job: Row<'jobs'>): Promise<Actor> {
  const name = job.created_by === null ? undefined : await apiKeyName(tx, job.created_by);
  return { keyId: job.created_by, name: name ?? 'api' };
}

/**
 * Applies suggestions in the transaction that finishes the job: every change or none. Each is
 * checked against the revision it was based on and against the rules of a user's write first.
 */
export const applyJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job } = ctx;
  const req = JSON.parse(job.request) as ApplyJobRequest;
  const { suggestions, drafts } = readUpdatedScenarios(req.updated_scenarios);
  const total = suggestions.length + drafts.length;
  const applied: number[] = [];
  const created: number[] = [];
  const changesetIds: number[] = [];

  const commit = async (tx: Tx) => {
    const now = ctx.now();
    const actor = await actorOf(tx, job);
    const rows = new Map((await loadScenarios(tx, job.organization_id, suggestions.map((s) => s.scenario_id))).map((r) => [r.id, r]));
    const conflicts: ApplyConflict[] = [];
    const issues: ValidationIssue[] = [];
    const writes: Array<{ row: Row<'scenarios'>; merged: ScenarioFields }> = [];
    const lookups: ReferenceLookups = new Map();
    // Checking 10,000 changes is long synchronous work on SQLite: other requests get turns between.
    const breathe = yielder(200);
    for (const s of suggestions) {
      await breathe();
      const id = s.scenario_id;
      const row = rows.get(id);
      if (!row) {
        conflicts.push({ scenario_id: id, based_on_revision: s.based_on_revision, current_revision: null, reason: 'deleted' });
        continue;
      }
      if (row.project_id !== req.project_id) {
        issues.push({ scenario_id: id, field: null, message: `Scenario ${id} is not in project ${req.project_id}.` });
        continue;
      }
      if (s.based_on_revision !== null && row.revision !== s.based_on_revision) {
        conflicts.push({ scenario_id: id, based_on_revision: s.based_on_revision, current_revision: row.revision, reason: 'changed' });
        continue;
      }
      const prepared = await prepareScenarioUpdate(tx, job.organization_id, row, valuesOf(s) as ScenarioPatch, lookups);
      if (prepared.errors) {
        for (const [field, messages] of Object.entries(prepared.errors)) issues.push({ scenario_id: id, field, message: messages.join(' ') });
        continue;
      }
      writes.push({ row, merged: prepared.merged });
    }
    if (conflicts.length || issues.length) throw new OutcomeInstead(rejected(job, conflicts, issues));
    try {
      const reason = `Applied from session ${job.session_id ?? '-'}.`;
      const written = await writeMergedMany(tx, actor, writes.map((w) => ({ current: w.row, merged: w.merged })), { now, changeType: 'apply', reason });
      applied.push(...writes.map((w) => w.row.id));
      const entries: ChangesetEntry[] = writes.map((w, i) => ({ before: w.row, after: written[i]! }));
      for (const d of drafts) {
        const row = await createScenario(tx, job.organization_id, actor, { ...(d.scenario as ScenarioCreate), project: req.project_id }, now);
        created.push(row.id);
        entries.push({ before: null, after: row });
      }
      changesetIds.push(...(await recordChangeset(tx, { organizationId: job.organization_id, kind: 'apply', actor, now, jobId: job.id, sessionId: job.session_id, summary: reason }, entries)));
    } catch (e) {
      // A concurrent writer won the race, or a draft no longer validates: the transaction rolls back.
      if (e instanceof Conflict) {
        const c = (e.details?.conflicts as ApplyConflict[] | undefined) ?? [];
        throw new OutcomeInstead(rejected(job, c.map((x) => ({ ...x, current_revision: x.current_revision ?? null, reason: 'changed' })), []));
      }
      if (e instanceof ValidationError) {
        throw new OutcomeInstead(rejected(job, [], Object.entries(e.fields).map(([field, m]) => ({ scenario_id: null, field, message: m.join(' ') }))));
      }
      throw e;
    }
    if (job.session_id !== null) await markLatestPreview(tx, job.session_id, 'applied');
  };

  // The message and reply are read after the commit ran, when the ids are known.
  const result: ApplyResult = {
    ...blankResult('apply', job.session_id),
    get message() {
      return `Applied ${applied.length + created.length} change(s): ${applied.length} scenario(s) updated, ${created.length} created.`;
    },
    applied_scenario_ids: applied,
    created_scenario_ids: created,
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
