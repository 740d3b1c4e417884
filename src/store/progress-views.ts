import type { InstructionsJobRequest } from '../domain/instructions.js';
import { progressOf } from '../domain/job-progress.js';
import type { ScenarioFields } from '../domain/scenario.js';
import type { InstructionsResult } from '../domain/suggestion.js';
import type { Executor } from './db.js';
import { scenarioView, scenarioViews } from './scenario-views.js';
import { loadScenarios, unsavedRow } from './scenarios.js';
import type { Row } from './schema.js';

/**
 * The progress answers of the job kinds whose routes answer in their own shape: an instructions
 * job (`instructions-progress/`) and a generation (`generate-progress/`). Their routes send them,
 * and a job's webhook event carries the same JSON.
 */

/** The seed's Scenario as it would be with the instructions job's result, plus the job's state. */
export async function instructionsProgressView(db: Executor, job: Row<'jobs'>) {
  const req = JSON.parse(job.request) as InstructionsJobRequest;
  // Read by its keys: a job stored before results carried their kind (and `not_done`) reads the same.
  const result = (job.result === null ? {} : JSON.parse(job.result)) as Partial<InstructionsResult> & { unsupported?: string[] };
  const notDone = result.not_done ?? (result.unsupported ?? []).map((part) => ({ part, reason: '' }));
  const done = job.status === 'completed';
  const fields = { ...req.fields, ...(done ? (result.change ?? {}) : {}) } as ScenarioFields;
  const meta = req.meta ?? { created_by: null, last_updated_by: null, created_at: '', updated_at: '', dynamic_variable_values: null };
  const row = unsavedRow(fields, {
    id: req.scenario_id ?? 0,
    organization_id: job.organization_id,
    project_id: req.project_id,
    revision: req.based_on_revision ?? 0,
    ...meta,
  });
  const view = await scenarioView(db, job.organization_id, row);
  const { progress, usage } = progressOf(job);
  const saved = req.scenario_id !== null;
  // An unsaved scenario has no id rather than a null one, as the reference's schema has it.
  const { id: _, ...scenario } = view;
  return {
    ...scenario,
    ...(saved ? { id: req.scenario_id! } : {}),
    personality: req.fields.personality,
    revision: req.based_on_revision,
    created_at: saved ? view.created_at : null,
    updated_at: saved ? view.updated_at : null,
    progress_id: job.progress_id,
    mode: job.mode,
    status: job.status,
    error: job.error,
    message: result.message ?? null,
    based_on_revision: req.based_on_revision,
    changes: done ? (result.changes ?? {}) : {},
    unsupported: notDone.map((n) => n.part),
    not_done: notDone,
    progress,
    usage,
  };
}

const GENERATION_STATUS = {
  in_progress: 'in_progress',
  needs_clarification: 'pending_clarification',
  needs_agent_clarification: 'pending_clarification',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;
type GenerationStatus = (typeof GENERATION_STATUS)[keyof typeof GENERATION_STATUS];

/** What the generation is doing, in words: how far drafting is, the question it waits on, or why it failed. */
function currentStep(p: { status: GenerationStatus; completed_scenarios: number; total_scenarios: number; questions: string[]; error: string | null }): string {
  switch (p.status) {
    case 'in_progress':
      return p.completed_scenarios ? `Drafting scenarios: ${p.completed_scenarios} of ${p.total_scenarios} drafted` : 'Drafting scenarios';
    case 'pending_clarification':
      return p.questions[0] ?? 'Waiting for your answer';
    case 'completed':
      return `Created ${p.completed_scenarios} of ${p.total_scenarios} scenarios`;
    case 'failed':
      return p.error ?? 'Failed';
    case 'cancelled':
      return 'Cancelled';
  }
}

/** A generated scenario as the reference lists it: absent rather than null where there is no value. */
const listed = (view: Record<string, unknown>) => Object.fromEntries(Object.entries(view).filter(([, v]) => v !== null));

/**
 * The reference's progress answer for a generation, as `job` (the one `progressId` names now) is:
 * while it runs, the drafts its rounds kept so far (`draftsSoFar`); once it ends, what it created
 * (or drafted).
 */
export async function generationProgressView(
  db: Executor,
  organizationId: number,
  progressId: string,
  job: Row<'jobs'>,
  draftsSoFar: () => Promise<ReadonlyArray<object>>,
) {
  const status = GENERATION_STATUS[job.status as keyof typeof GENERATION_STATUS] ?? 'in_progress';
  const result = job.status === 'in_progress' || job.result === null ? {} : (JSON.parse(job.result) as Record<string, unknown>);
  const createdIds = (result.created_scenario_ids as number[] | undefined) ?? [];
  const drafts = (result.generated_scenarios as Array<Record<string, unknown>> | undefined) ?? [];
  const created = createdIds.length ? await scenarioViews(db, organizationId, await loadScenarios(db, organizationId, createdIds)) : [];
  const drafted = status === 'in_progress' ? await draftsSoFar() : drafts;
  const questions = ((result.clarification_questions as Array<{ question: string }> | undefined) ?? []).map((q) => q.question);
  const counts = {
    status,
    total_scenarios: job.progress_total,
    completed_scenarios: status === 'completed' ? created.length : job.progress_done,
    questions,
    error: job.error,
  };
  return {
    progress_id: progressId,
    ...counts,
    current_step: currentStep(counts),
    failed_scenarios: status === 'completed' ? Math.max(0, job.progress_total - created.length) : 0,
    scenarios_list: created.length ? created.map((v) => listed(v as Record<string, unknown>)) : drafted.map((d) => listed(d as Record<string, unknown>)),
    agent_message: (result.user_message as string | undefined) ?? null,
    warnings: [] as string[],
  };
}
