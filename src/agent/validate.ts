import { checkScenarioRules, fieldValueErrors, sameValue, SUGGESTIBLE_FIELDS, type ScenarioFields, type SuggestibleField } from '../domain/scenario.js';
import type { DraftScenario, PlannedChange, PlannerContext } from './engine.js';

const DRAFT_FIELDS = ['name', 'personality', 'scenario_language', 'tags', 'tool_ids', 'first_message', 'instructions', 'expected_outcome_prompt', 'information_fields'] as const;

const SUGGESTIBLE: ReadonlySet<string> = new Set(SUGGESTIBLE_FIELDS);

export interface ValidationIssue {
  scenario_id: number | null;
  field: string | null;
  message: string;
}

export interface CheckedChange {
  scenarioId: number;
  basedOnRevision: number;
  changes: Partial<Record<SuggestibleField, { old: unknown; new: unknown }>>;
}

export interface SuggestionTarget {
  revision: number;
  fields: ScenarioFields;
  projectId: number;
}

/**
 * Runs an engine's proposals through the rules a user's write must pass. A proposal for a scenario
 * outside the job or a field outside the schema is dropped and reported; so is a value the
 * Scenario rules reject. What survives is exactly what a person will review.
 */
export function validateSuggestions(
  proposals: PlannedChange[],
  targets: ReadonlyMap<number, SuggestionTarget>,
  ctx: Pick<PlannerContext, 'personalities' | 'folders' | 'tools'> & { agentIds?: ReadonlySet<number> },
): { accepted: CheckedChange[]; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const merged = new Map<number, Partial<Record<SuggestibleField, unknown>>>();
  const personalityIds = new Set(ctx.personalities.map((p) => p.id));
  const folders = new Set(ctx.folders);
  const tools = new Set(ctx.tools.map((t) => t.id));

  for (const p of proposals) {
    const target = targets.get(p.scenarioId);
    if (!target) {
      issues.push({ scenario_id: p.scenarioId ?? null, field: null, message: `Scenario ${p.scenarioId} is not part of this request; its suggestion was ignored.` });
      continue;
    }
    const fields = merged.get(p.scenarioId) ?? {};
    for (const [field, value] of Object.entries(p.fields ?? {})) {
      const problem = (msg: string) => issues.push({ scenario_id: p.scenarioId, field, message: msg });
      if (!SUGGESTIBLE.has(field)) {
        problem(`"${field}" is not a field a suggestion may change; ignored.`);
        continue;
      }
      const errors = fieldValueErrors(field as SuggestibleField, value);
      if (errors.length) {
        problem(`Invalid value: ${errors.join(' ')}`);
        continue;
      }
      if (field === 'personality' && !personalityIds.has(value as number)) problem(`Personality ${String(value)} does not exist.`);
      else if (field === 'folder_path' && value !== null && !folders.has(value as string)) problem(`Folder "${String(value)}" does not exist.`);
      else if (field === 'tool_ids' && (value as string[]).some((t) => !tools.has(t))) {
        problem(`Unknown tool ids: ${(value as string[]).filter((t) => !tools.has(t)).join(', ')}.`);
      } else if (field === 'agent' && value !== null && ctx.agentIds && !ctx.agentIds.has(value as number)) problem(`Agent ${String(value)} is not in this project.`);
      else fields[field as SuggestibleField] = value;
    }
    merged.set(p.scenarioId, fields);
  }

  const accepted: CheckedChange[] = [];
  for (const [scenarioId, fields] of merged) {
    const target = targets.get(scenarioId)!;
    const after = { ...target.fields, ...fields } as ScenarioFields;
    const rules = checkScenarioRules(after);
    if (!rules.empty) {
      for (const [field, messages] of Object.entries(rules.fields)) issues.push({ scenario_id: scenarioId, field, message: messages.join(' ') });
      continue;
    }
    const changes: CheckedChange['changes'] = {};
    for (const [field, value] of Object.entries(fields) as Array<[SuggestibleField, unknown]>) {
      if (!sameValue(target.fields[field], value)) changes[field] = { old: target.fields[field], new: value };
    }
    if (Object.keys(changes).length) accepted.push({ scenarioId, basedOnRevision: target.revision, changes });
  }
  accepted.sort((a, b) => a.scenarioId - b.scenarioId);
  return { accepted, issues };
}

/**
 * Runs drafted scenarios through the field rules a user's write must pass, with the tools the
 * request asks for added to each. Invalid drafts are dropped and reported by their position.
 */
export function validateDrafts(
  drafts: DraftScenario[],
  ctx: Pick<PlannerContext, 'personalities' | 'tools'>,
  requiredToolIds: readonly string[] = [],
): { accepted: DraftScenario[]; issues: ValidationIssue[] } {
  const tools = new Set(ctx.tools.map((t) => t.id));
  const personalities = new Set(ctx.personalities.map((p) => p.id));
  const issues: ValidationIssue[] = [];
  const accepted = drafts.flatMap((d, i) => {
    const draft = { ...d, tool_ids: [...new Set([...(Array.isArray(d.tool_ids) ? d.tool_ids : []), ...requiredToolIds])] };
    const problems = DRAFT_FIELDS.flatMap((f) => fieldValueErrors(f, draft[f]).map((m) => `${f}: ${m}`));
    if (!personalities.has(draft.personality)) problems.push(`personality: ${draft.personality} does not exist.`);
    const unknownTools = draft.tool_ids.filter((t) => !tools.has(t));
    if (unknownTools.length) problems.push(`tool_ids: unknown ${unknownTools.join(', ')}.`);
    if (problems.length) {
      issues.push(...problems.map((m) => ({ scenario_id: null, field: `draft ${i + 1}`, message: m })));
      return [];
    }
    return [draft];
  });
  return { accepted, issues };
}
