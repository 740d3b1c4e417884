import type { Config } from '../config.js';
import { capsOf } from '../domain/cost.js';
import { ValidationError } from '../domain/errors.js';
import type { DraftFields, GenerateInstructionsBody, ImproveInstructionsBody, InstructionsJobRequest } from '../domain/instructions.js';
import { LANGUAGE_CODES, type LanguageCode } from '../domain/languages.js';
import { diffScenarioFields, EMPTY_SCENARIO } from '../domain/scenario.js';
import { jobTunables } from '../jobs/tunables.js';
import { findAgentSummary } from '../store/aiagents.js';
import type { Db, Executor } from '../store/db.js';
import { insertJob } from '../store/jobs.js';
import { getScenario, loadScenarios, prepareScenarioCreate, prepareScenarioUpdate, scenarioFieldsOf } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';
import type { Submitter } from './submit.js';

const invalidPk = (id: unknown) => `Invalid pk "${String(id)}" - object does not exist.`;

/** The agent's language when it is one a scenario may have, so new instructions are written in it. */
function languageOf(agent: { language: string } | undefined): LanguageCode | undefined {
  return agent && (LANGUAGE_CODES as readonly string[]).includes(agent.language) ? (agent.language as LanguageCode) : undefined;
}

const metaOf = (row: Row<'scenarios'>): InstructionsJobRequest['meta'] => ({
  created_by: row.created_by,
  last_updated_by: row.last_updated_by,
  created_at: row.created_at,
  updated_at: row.updated_at,
  dynamic_variable_values: row.dynamic_variable_values,
});

/** A job's caps, and whether to check and plan it only. */
export interface SubmitOptions {
  dryRun?: boolean;
  max_tokens?: number | null;
  max_cost?: number | null;
}

/** A dry run's way out of the submission: the checked request, and the transaction rolled back. */
export class NotRecorded extends Error {
  constructor(readonly request: InstructionsJobRequest) {
    super('dry run');
  }
}

/**
 * Records an instructions job. These jobs belong to no session: they are one-shot requests about
 * one scenario (the reference answers them without a session id), so the session list stays the
 * scenario agent's conversations.
 */
async function record(
  tx: Executor,
  config: Config,
  caller: Submitter,
  request: InstructionsJobRequest,
  now: string,
  opts: SubmitOptions,
): Promise<Row<'jobs'>> {
  if (opts.dryRun) throw new NotRecorded(request);
  return insertJob(
    tx,
    {
      organizationId: caller.organizationId,
      projectId: request.project_id,
      sessionId: null,
      kind: 'instructions',
      mode: request.mode,
      request: { ...request, ...capsOf(opts) },
      maxAttempts: jobTunables(config).maxAttempts,
      createdBy: caller.keyId,
      progressTotal: 1,
    },
    now,
  );
}

/**
 * Checks a scenario payload as a scenario write would (a new scenario's create, or a patch over the
 * existing scenario it names) and records a job that writes its instructions. Nothing else is written.
 */
export async function submitGenerateInstructions(db: Db, config: Config, caller: Submitter, body: GenerateInstructionsBody, now: string): Promise<Row<'jobs'>> {
  const orgId = caller.organizationId;
  const { extra_instructions, agent_id, scenario, scenario_id, id, dry_run, max_tokens, max_cost, ...patch } = body;
  const opts = { dryRun: dry_run, max_tokens, max_cost };
  const named = [...new Set([scenario, scenario_id, id].filter((x): x is number => x != null))];
  if (named.length > 1) throw ValidationError.field('scenario', 'scenario, scenario_id and id name different scenarios; send one.');
  if (agent_id != null) {
    if (patch.agent != null && patch.agent !== agent_id) throw ValidationError.field('agent_id', 'agent and agent_id name different agents; send one.');
    patch.agent = agent_id;
  }
  return db.transaction().execute(async (tx) => {
    let request: InstructionsJobRequest;
    if (named.length) {
      const [row] = await loadScenarios(tx, orgId, named);
      if (!row) throw ValidationError.field('scenario', invalidPk(named[0]));
      const prepared = await prepareScenarioUpdate(tx, orgId, row, patch);
      if (prepared.errors) throw new ValidationError(prepared.errors);
      request = {
        mode: 'generate',
        user_message: extra_instructions,
        project_id: row.project_id,
        agent_id: prepared.merged.agent,
        scenario_id: row.id,
        based_on_revision: row.revision,
        fields: prepared.merged,
        basis_changes: diffScenarioFields(scenarioFieldsOf(row), prepared.merged),
        meta: metaOf(row),
      };
    } else {
      const { projectId, merged } = await prepareScenarioCreate(tx, orgId, patch);
      const agent = merged.agent === null ? undefined : await findAgentSummary(tx, orgId, merged.agent);
      const fields: DraftFields = {
        ...merged,
        name: merged.name ?? '',
        personality: merged.personality ?? null,
        scenario_language: patch.scenario_language ?? languageOf(agent) ?? merged.scenario_language,
      };
      request = {
        mode: 'generate',
        user_message: extra_instructions,
        project_id: projectId,
        agent_id: merged.agent,
        scenario_id: null,
        based_on_revision: null,
        fields,
        basis_changes: {},
        meta: null,
      };
    }
    return record(tx, config, caller, request, now, opts);
  });
}

/** The reference's improve_instructions: instructions for an agent, from `current_instructions` when given. */
export async function submitImproveInstructions(db: Db, config: Config, caller: Submitter, body: ImproveInstructionsBody, now: string): Promise<Row<'jobs'>> {
  const opts = { dryRun: body.dry_run, max_tokens: body.max_tokens, max_cost: body.max_cost };
  return db.transaction().execute(async (tx) => {
    const agent = await findAgentSummary(tx, caller.organizationId, body.agent);
    if (!agent) throw ValidationError.field('agent', invalidPk(body.agent));
    const current = body.current_instructions ?? '';
    const fields: DraftFields = {
      ...EMPTY_SCENARIO,
      name: '',
      personality: null,
      agent: agent.id,
      instructions: current,
      scenario_language: languageOf(agent) ?? 'en',
    };
    const request: InstructionsJobRequest = {
      mode: current.trim() ? 'improve' : 'generate',
      user_message: body.extra_instructions,
      project_id: agent.project_id,
      agent_id: agent.id,
      scenario_id: null,
      based_on_revision: null,
      fields,
      basis_changes: {},
      meta: null,
    };
    return record(tx, config, caller, request, now, opts);
  });
}

/** Improves the instructions of one stored scenario as `message` asks. */
export async function submitScenarioInstructions(
  db: Db,
  config: Config,
  caller: Submitter,
  scenarioId: number,
  message: string,
  now: string,
  opts: SubmitOptions = {},
): Promise<Row<'jobs'>> {
  return db.transaction().execute(async (tx) => {
    const row = await getScenario(tx, caller.organizationId, scenarioId);
    if (!message.trim()) throw ValidationError.field('user_message', 'Say how to improve the instructions.');
    const fields = scenarioFieldsOf(row);
    const request: InstructionsJobRequest = {
      mode: 'improve',
      user_message: message,
      project_id: row.project_id,
      agent_id: fields.agent,
      scenario_id: row.id,
      based_on_revision: row.revision,
      fields,
      basis_changes: {},
      meta: metaOf(row),
    };
    return record(tx, config, caller, request, now, opts);
  });
}
