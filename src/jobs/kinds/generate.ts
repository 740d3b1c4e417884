import type { GenerationOptions } from '../../domain/generation.js';
import type { ScenarioCreate } from '../../domain/scenario.js';
import type { ClarifyJobRequest } from '../../domain/scenario-agent.js';
import type { ClarifyResult } from '../../domain/suggestion.js';
import { ensureFolderPath } from '../../store/folders.js';
import { createScenario } from '../../store/scenarios.js';
import { OutcomeInstead, type JobHandler } from '../types.js';
import { clarifyJob } from './clarify.js';

const DRAFT_FIELDS = ['name', 'personality', 'tags', 'tool_ids', 'first_message', 'instructions', 'expected_outcome_prompt', 'scenario_type', 'conditional_actions', 'scenario_language', 'information_fields'] as const;

/** A generation's result: the clarify result, plus the scenarios it created. */
export type GenerationResult = ClarifyResult & { created_scenario_ids: number[] };

/**
 * Background generation: the clarify job drafts (or asks what it needs to know), and its drafts
 * are created as scenarios in the transaction that finishes the job — all of them or none.
 */
export const generateJob: JobHandler = async (ctx) => {
  const outcome = await clarifyJob(ctx);
  if (outcome.result.kind !== 'clarify') return outcome;
  const clarified = outcome.result;
  const drafts = clarified.generated_scenarios as Array<Record<string, unknown>>;
  if (outcome.status !== 'completed' || !drafts.length) return outcome;
  const req = JSON.parse(ctx.job.request) as ClarifyJobRequest & { generation?: GenerationOptions };
  const g = req.generation ?? {};
  const created: number[] = [];
  return {
    ...outcome,
    result: { ...clarified, created_scenario_ids: created } as GenerationResult,
    commit: async (tx) => {
      const now = ctx.now();
      const actor = { keyId: ctx.job.created_by, name: 'generate-bg' };
      try {
        if (g.folder_path) await ensureFolderPath(tx, ctx.job.organization_id, req.project_id, g.folder_path, now);
        for (const d of drafts) {
          const fields = Object.fromEntries(DRAFT_FIELDS.filter((f) => d[f] !== undefined).map((f) => [f, d[f]])) as ScenarioCreate;
          const row = await createScenario(tx, ctx.job.organization_id, actor, {
            ...fields,
            agent: req.agent_id,
            project: req.project_id,
            personality: g.personality ?? fields.personality,
            tags: [...new Set([...(fields.tags ?? []), ...(g.tags ?? [])])],
            tool_ids: [...new Set([...(fields.tool_ids ?? []), ...(g.tool_ids ?? [])])],
            ...(g.first_message !== undefined ? { first_message: g.first_message } : {}),
            ...(g.test_profile !== undefined ? { test_profile: g.test_profile } : {}),
            ...(g.folder_path ? { folder_path: g.folder_path } : {}),
            ...(g.inbound_phone_number !== undefined ? { inbound_phone_number: g.inbound_phone_number } : {}),
            ...(g.expected_outcome ? { expected_outcome_prompt: g.expected_outcome } : {}),
          }, now);
          created.push(row.id);
        }
      } catch (err) {
        const error = `The drafted scenarios could not be created: ${err instanceof Error ? err.message : String(err)}`;
        throw new OutcomeInstead({ ...outcome, status: 'failed', error, result: { ...clarified, success: false, error, created_scenario_ids: [] } as GenerationResult, reply: { content: error, toolCalls: [] } });
      }
    },
  };
};
