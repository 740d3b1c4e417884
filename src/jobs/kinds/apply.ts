import { Conflict, ValidationError } from '../../domain/errors.js';
import { yielder } from '../../domain/event-loop.js';
import { emptyUsage } from '../../domain/jobs.js';
import type { ScenarioCreate, ScenarioFields, ScenarioPatch } from '../../domain/scenario.js';
import type { ApplyJobRequest } from '../../domain/scenario-agent.js';
import { parseApplyItems } from '../../domain/suggestions.js';
import type { Tx } from '../../store/db.js';
import { createScenario, loadScenarios, prepareScenarioUpdate, writeMergedMany, type Actor, type ReferenceLookups } from '../../store/scenarios.js';
import { markLatestPreview } from '../../store/sessions.js';
import type { Row } from '../../store/schema.js';
import { OutcomeInstead, type JobContext, type JobHandler, type JobOutcome } from '../types.js';

interface ConflictItem {
  scenario_id: number;
  based_on_revision: number | null;
  current_revision: number | null;
  reason: string;
}

function rejected(job: Row<'jobs'>, conflicts: ConflictItem[], issues: Array<{ scenario_id: number | null; field: string | null; message: string }>): JobOutcome {
  const parts = [];
  if (conflicts.length) parts.push(`${conflicts.length} scenario(s) changed since the suggestion was made (${conflicts.map((c) => c.scenario_id).join(', ')})`);
  if (issues.length) parts.push(`${issues.length} change(s) are no longer valid`);
  const message = `Nothing was applied: ${parts.join(' and ')}. Ask for fresh suggestions and apply those.`;
  return {
    status: 'completed',
    result: { success: false, message, updated_scenarios: [], applied_scenario_ids: [], created_scenario_ids: [], conflicts, validation_issues: issues, session_id: job.session_id },
    error: null,
    usage: emptyUsage(),
    reply: { content: message, toolCalls: [] },
  };
}

async function actorOf(tx: Tx, job: Row<'jobs'>): Promise<Actor> {
  const key = job.created_by === null ? undefined : await tx.selectFrom('api_keys').select('name').where('id', '=', job.created_by).executeTakeFirst();
  return { keyId: job.created_by, name: key?.name ?? 'api' };
}

/**
 * Applies suggestions in the transaction that finishes the job: every change or none. Each is
 * checked against the revision it was based on and against the rules of a user's write first.
 */
export const applyJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const { job } = ctx;
  const req = JSON.parse(job.request) as ApplyJobRequest;
  const { items } = parseApplyItems(req.updated_scenarios);
  const total = items.length;
  const applied: number[] = [];
  const created: number[] = [];

  const commit = async (tx: Tx) => {
    const now = ctx.now();
    const actor = await actorOf(tx, job);
    const rows = new Map((await loadScenarios(tx, job.organization_id, items.flatMap((i) => (i.id ? [i.id] : [])))).map((r) => [r.id, r]));
    const conflicts: ConflictItem[] = [];
    const issues: Array<{ scenario_id: number | null; field: string | null; message: string }> = [];
    const writes: Array<{ row: Row<'scenarios'>; merged: ScenarioFields }> = [];
    const lookups: ReferenceLookups = new Map();
    // Checking 10,000 changes is long synchronous work on SQLite: other requests get turns between.
    const breathe = yielder(200);
    for (const item of items) {
      if (item.id === null) continue;
      await breathe();
      const row = rows.get(item.id);
      if (!row) {
        conflicts.push({ scenario_id: item.id, based_on_revision: item.basedOnRevision, current_revision: null, reason: 'deleted' });
        continue;
      }
      if (row.project_id !== req.project_id) {
        issues.push({ scenario_id: item.id, field: null, message: `Scenario ${item.id} is not in project ${req.project_id}.` });
        continue;
      }
      if (item.basedOnRevision !== null && row.revision !== item.basedOnRevision) {
        conflicts.push({ scenario_id: item.id, based_on_revision: item.basedOnRevision, current_revision: row.revision, reason: 'changed' });
        continue;
      }
      const prepared = await prepareScenarioUpdate(tx, job.organization_id, row, item.fields as ScenarioPatch, lookups);
      if (prepared.errors) {
        for (const [field, messages] of Object.entries(prepared.errors)) issues.push({ scenario_id: item.id, field, message: messages.join(' ') });
        continue;
      }
      writes.push({ row, merged: prepared.merged });
    }
    if (conflicts.length || issues.length) throw new OutcomeInstead(rejected(job, conflicts, issues));
    try {
      const reason = `Applied from session ${job.session_id ?? '-'}.`;
      await writeMergedMany(tx, actor, writes.map((w) => ({ current: w.row, merged: w.merged })), { now, changeType: 'apply', reason });
      applied.push(...writes.map((w) => w.row.id));
      for (const item of items) {
        if (item.id !== null) continue;
        const row = await createScenario(tx, job.organization_id, actor, { ...(item.fields as ScenarioCreate), project: req.project_id }, now);
        created.push(row.id);
      }
    } catch (e) {
      // A concurrent writer won the race, or a draft no longer validates: the transaction rolls back.
      if (e instanceof Conflict) {
        const c = (e.details?.conflicts as ConflictItem[] | undefined) ?? [];
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
  const result = {
    success: true,
    get message() {
      return `Applied ${applied.length + created.length} change(s): ${applied.length} scenario(s) updated, ${created.length} created.`;
    },
    updated_scenarios: [],
    applied_scenario_ids: applied,
    created_scenario_ids: created,
    conflicts: [],
    validation_issues: [],
    session_id: job.session_id,
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
