import { Conflict } from '../domain/errors.js';
import type { ImproveJobRequest } from '../domain/scenario-agent.js';
import { type ImproveResult, type NotDone, readUpdatedScenarios } from '../domain/suggestion.js';
import { improveJob } from '../jobs/kinds/improve.js';
import { type JobContext, type JobHandler, type JobOutcome, OutcomeInstead } from '../jobs/types.js';
import { recordChangeset } from '../store/changesets.js';
import type { Tx } from '../store/db.js';
import { writeMergedMany } from '../store/scenarios.js';
import { actorOf, checkSuggestions } from './apply.js';

const partOf = (scenarioId: number | null, field: string | null) =>
  scenarioId === null ? 'a suggestion' : `scenario ${scenarioId}${field ? ` (${field})` : ''}`;

/**
 * An improve, and with `apply_changes` (no `updated_scenarios`) one that applies its own
 * suggestions: those still valid when the job ends are written, with revisions, in the transaction
 * that records the job; each one skipped is named in not_done with why.
 */
export const improveAndApplyJob: JobHandler = async (ctx: JobContext): Promise<JobOutcome> => {
  const outcome = await improveJob(ctx);
  const req = ctx.request as ImproveJobRequest;
  if (!req.apply_changes || outcome.status !== 'completed' || outcome.result.kind !== 'improve') return outcome;
  const result: ImproveResult = outcome.result;
  const { job } = ctx;
  const { suggestions } = readUpdatedScenarios(result.updated_scenarios);
  const applied: number[] = [];
  const changesetIds: number[] = [];
  const skipped: NotDone[] = result.validation_issues.map((i) => ({ part: partOf(i.scenario_id, i.field), reason: `Not applied: ${i.message}` }));

  const commit = async (tx: Tx) => {
    const { writes, conflicts, issues } = await checkSuggestions(tx, job.organization_id, req.project_id, suggestions);
    for (const c of conflicts) {
      const why =
        c.reason === 'deleted'
          ? 'it was deleted while the job ran'
          : `it changed while the job ran (revision ${c.current_revision}, suggestion based on ${c.based_on_revision})`;
      skipped.push({ part: partOf(c.scenario_id, null), reason: `Not applied: ${why}.` });
    }
    for (const i of issues) skipped.push({ part: partOf(i.scenario_id, i.field), reason: `Not applied: ${i.message}` });
    try {
      const actor = await actorOf(tx, job);
      const now = ctx.now();
      const reason = `Improved and applied by job ${job.progress_id}.`;
      const written = await writeMergedMany(tx, actor, writes, { now, changeType: 'apply', reason, source: job.progress_id });
      applied.push(...written.map((r) => r.id));
      const entries = writes.map((w, i) => ({ before: w.current, after: written[i]! }));
      changesetIds.push(
        ...(await recordChangeset(
          tx,
          { organizationId: job.organization_id, kind: 'apply', actor, now, jobId: job.id, sessionId: job.session_id, summary: reason },
          entries,
        )),
      );
    } catch (e) {
      // Another request wrote one of these scenarios between the check and the write: nothing is applied.
      if (!(e instanceof Conflict)) throw e;
      const reason = `Nothing was applied: ${e.message}`;
      throw new OutcomeInstead({
        ...outcome,
        result: { ...result, message: `${result.message}\n\n${reason}`, not_done: [...result.not_done, { part: 'apply', reason }] },
      });
    }
  };
  const summary = () => {
    const parts = [`Applied the changes to ${applied.length} scenario(s).`];
    if (skipped.length) parts.push(`${skipped.length} suggestion(s) were not applied: ${skipped.map((n) => `${n.part}: ${n.reason}`).join('; ')}.`);
    return `${result.message}\n\n${parts.join(' ')}`;
  };
  // Read after the commit ran, when what was written is known.
  const applying: ImproveResult = {
    ...result,
    applied_scenario_ids: applied,
    // Beyond the reference: the changeset to list, show or revert what this job applied.
    get changeset_id() {
      return changesetIds[0] ?? null;
    },
    get message() {
      return summary();
    },
    get not_done() {
      return [...result.not_done, ...skipped];
    },
  };
  return {
    ...outcome,
    result: applying,
    get reply() {
      return { content: summary(), toolCalls: outcome.reply.toolCalls.map((c) => (c.name === 'suggest_changes' ? { ...c, status: 'applied' } : c)) };
    },
    commit,
  };
};
