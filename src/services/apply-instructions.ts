import { Conflict, ValidationError } from '../domain/errors.js';
import type { InstructionsJobRequest } from '../domain/instructions.js';
import type { FieldChanges, ScenarioPatch } from '../domain/scenario.js';
import type { InstructionsChange, InstructionsResult } from '../domain/suggestion.js';
import { recordChangeset } from '../store/changesets.js';
import { findJobByProgressId } from '../store/jobs.js';
import { getScenario, hasRevisionWithReason, prepareScenarioUpdate, writeMerged } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import { actorOf, type Caller, nowOf, type ServiceContext } from './context.js';

export interface ApplyInstructionsInput {
  scenarioId: number;
  progressId: string;
  /** Names the target of a job made from an unsaved payload (it has no scenario of its own). */
  confirmScenario?: number;
}

/** What the preview showed as changing, as a write. */
const newValues = (changes: FieldChanges) => Object.fromEntries(Object.entries(changes).map(([f, c]) => [f, c!.new])) as ScenarioPatch;

/**
 * A job made from an unsaved payload, applied to a stored scenario: its instructions (or
 * conditional actions), and its expected outcome only where the scenario has none of its own.
 */
function forAnotherScenario(change: InstructionsChange, row: Row<'scenarios'>): ScenarioPatch {
  const { expected_outcome_prompt, ...rest } = change;
  return expected_outcome_prompt !== undefined && !row.expected_outcome_prompt.trim() ? { ...rest, expected_outcome_prompt } : rest;
}

/** The revision reason that marks a job as applied, so applying it again is recognised. */
export const appliedReason = (progressId: string) => `Applied instructions job ${progressId}.`;

/**
 * Writes a completed instructions job to a scenario as one revision (change type `instructions`).
 * A job based on a stored scenario applies only to that scenario and only while it is at the
 * revision the job read (409 otherwise, nothing written); it writes what the preview showed as
 * changing, so the scenario becomes the preview. Applying a job again changes nothing and answers
 * the scenario as it is.
 */
export async function applyInstructions(ctx: ServiceContext, caller: Caller, input: ApplyInstructionsInput): Promise<Row<'scenarios'>> {
  try {
    return await applyOnce(ctx, caller, input);
  } catch (err) {
    // Two applies of one job at once: the loser's write finds the scenario changed — by this very
    // job. That is the job applied, not a conflict, and it answers as applying it again does.
    if (!(err instanceof Conflict)) throw err;
    const { db } = ctx.store;
    if (!(await hasRevisionWithReason(db, caller.organizationId, input.scenarioId, 'instructions', appliedReason(input.progressId)))) throw err;
    return getScenario(db, caller.organizationId, input.scenarioId);
  }
}

async function applyOnce(ctx: ServiceContext, caller: Caller, input: ApplyInstructionsInput): Promise<Row<'scenarios'>> {
  const { scenarioId, progressId } = input;
  const orgId = caller.organizationId;
  return ctx.store.db.transaction().execute(async (tx) => {
    const row = await getScenario(tx, orgId, scenarioId);
    const job = await findJobByProgressId(tx, orgId, progressId);
    if (job?.kind !== 'instructions') throw ValidationError.field('progress_id', 'No instructions job has this progress_id.');
    if (input.confirmScenario !== undefined && input.confirmScenario !== scenarioId) {
      throw ValidationError.field('scenario', `Names scenario ${input.confirmScenario}, but the path names ${scenarioId}.`);
    }
    if (job.status !== 'completed') {
      throw ValidationError.field('progress_id', `The job is ${job.status.replace(/_/g, ' ')}; only a completed job can be applied.`);
    }
    const req = JSON.parse(job.request) as InstructionsJobRequest;
    if (req.scenario_id === null) {
      if (input.confirmScenario !== scenarioId) {
        throw ValidationError.field(
          'progress_id',
          `This job was made from an unsaved scenario payload, not from scenario ${scenarioId}. Create the scenario with the instructions from instructions-progress, or send "scenario": ${scenarioId} to apply them to this one.`,
        );
      }
      if (req.project_id !== row.project_id)
        throw ValidationError.field('progress_id', `This job was made for project ${req.project_id}; scenario ${scenarioId} is in project ${row.project_id}.`);
    } else if (req.scenario_id !== scenarioId) {
      throw ValidationError.field('progress_id', `This job's instructions are for scenario ${req.scenario_id}, not ${scenarioId}.`);
    }
    const reason = appliedReason(progressId);
    // Read again: on PostgreSQL a concurrent apply of this job may have committed after `row` was read.
    if (await hasRevisionWithReason(tx, orgId, scenarioId, 'instructions', reason)) return getScenario(tx, orgId, scenarioId);
    if (req.based_on_revision !== null && row.revision !== req.based_on_revision) {
      throw new Conflict(
        `Scenario ${scenarioId} has changed since the instructions were made (revision ${req.based_on_revision}, now ${row.revision}); nothing was written. Start a new job.`,
        {
          conflicts: [{ scenario_id: scenarioId, based_on_revision: req.based_on_revision, current_revision: row.revision }],
        },
      );
    }
    // Read by its keys, not its kind: a job stored before results carried one applies the same.
    const result = JSON.parse(job.result ?? '{}') as Partial<InstructionsResult>;
    if (!result.change || !result.changes) throw ValidationError.field('progress_id', 'This job has no instructions to apply.');
    const patch = req.scenario_id === null ? forAnotherScenario(result.change, row) : newValues(result.changes as FieldChanges);
    const prepared = await prepareScenarioUpdate(tx, orgId, row, patch);
    if (prepared.errors) throw new ValidationError(prepared.errors);
    const actor = actorOf(caller);
    const now = nowOf(ctx);
    const written = await writeMerged(tx, actor, row, prepared.merged, { now, changeType: 'instructions', reason, source: progressId });
    await recordChangeset(tx, { organizationId: orgId, kind: 'instructions', actor, now, jobId: job.id, summary: reason }, [{ before: row, after: written }]);
    return written;
  });
}
