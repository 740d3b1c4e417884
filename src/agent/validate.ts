import { checkScenarioRules, fieldValueErrors, normalizedValue, type ScenarioFields, sameValue } from '../domain/scenario.js';
import {
  DRAFT_FIELDS,
  type Draft,
  isSuggestibleField,
  type ProposedChange,
  type SuggestibleField,
  type Suggestion,
  type ValidationIssue,
} from '../domain/suggestion.js';
import type { PlannerContext } from './engine.js';

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
  proposals: readonly Suggestion[],
  targets: ReadonlyMap<number, SuggestionTarget>,
  ctx: Pick<PlannerContext, 'personalities' | 'folders' | 'tools'> & { agentIds?: ReadonlySet<number> },
): { accepted: Suggestion[]; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  // Several proposals for one scenario (an agent chosen by the user, then an engine's changes) merge; a later value wins.
  const merged = new Map<number, { fields: Map<SuggestibleField, ProposedChange>; notes: string[] }>();
  const personalityIds = new Set(ctx.personalities.map((p) => p.id));
  const folders = new Set(ctx.folders);
  const tools = new Set(ctx.tools.map((t) => t.id));

  for (const p of proposals) {
    const target = targets.get(p.scenario_id);
    if (!target) {
      issues.push({
        scenario_id: p.scenario_id ?? null,
        field: null,
        message: `Scenario ${p.scenario_id} is not part of this request; its suggestion was ignored.`,
      });
      continue;
    }
    const entry = merged.get(p.scenario_id) ?? { fields: new Map<SuggestibleField, ProposedChange>(), notes: [] as string[] };
    const fields = entry.fields;
    entry.notes.push(...p.notes);
    for (const change of p.changes) {
      const field = change.field as string;
      // The value as the write would store it, so a tag listed twice or a name with a trailing space is not a change.
      const value = isSuggestibleField(field) ? normalizedValue(field, change.value) : change.value;
      const problem = (msg: string) => issues.push({ scenario_id: p.scenario_id, field, message: msg });
      if (!isSuggestibleField(field)) {
        problem(`"${field}" is not a field a suggestion may change; ignored.`);
        continue;
      }
      const errors = fieldValueErrors(field, value);
      if (errors.length) {
        problem(`Invalid value: ${errors.join(' ')}`);
        continue;
      }
      if (field === 'personality' && !personalityIds.has(value as number)) problem(`Personality ${String(value)} does not exist.`);
      else if (field === 'folder_path' && value !== null && !folders.has(value as string)) problem(`Folder "${String(value)}" does not exist.`);
      else if (field === 'tool_ids' && (value as string[]).some((t) => !tools.has(t))) {
        problem(`Unknown tool ids: ${(value as string[]).filter((t) => !tools.has(t)).join(', ')}.`);
      } else if (field === 'agent' && value !== null && ctx.agentIds && !ctx.agentIds.has(value as number))
        problem(`Agent ${String(value)} is not in this project.`);
      else fields.set(field, { ...change, field, value });
    }
    merged.set(p.scenario_id, entry);
  }

  const accepted: Suggestion[] = [];
  for (const [scenarioId, { fields, notes }] of merged) {
    const target = targets.get(scenarioId)!;
    const after = { ...target.fields, ...Object.fromEntries([...fields].map(([f, c]) => [f, c.value])) } as ScenarioFields;
    const rules = checkScenarioRules(after);
    if (!rules.empty) {
      for (const [field, messages] of Object.entries(rules.fields)) issues.push({ scenario_id: scenarioId, field, message: messages.join(' ') });
      continue;
    }
    // Only real differences are suggested, based on the revision the job read.
    const changes = [...fields.values()].filter((c) => !sameValue(target.fields[c.field], c.value));
    if (changes.length) accepted.push({ scenario_id: scenarioId, based_on_revision: target.revision, changes, notes: [...new Set(notes)] });
  }
  accepted.sort((a, b) => a.scenario_id - b.scenario_id);
  return { accepted, issues };
}

/**
 * Runs drafted scenarios through the field rules a user's write must pass, with the tools the
 * request asks for added to each. Invalid drafts are dropped and reported by their position.
 */
export function validateDrafts(
  drafts: readonly Draft[],
  ctx: Pick<PlannerContext, 'personalities' | 'tools'>,
  requiredToolIds: readonly string[] = [],
): { accepted: Draft[]; issues: ValidationIssue[] } {
  const tools = new Set(ctx.tools.map((t) => t.id));
  const personalities = new Set(ctx.personalities.map((p) => p.id));
  const issues: ValidationIssue[] = [];
  const accepted = drafts.flatMap((d, i) => {
    const draft = { ...d.scenario, tool_ids: [...new Set([...(Array.isArray(d.scenario.tool_ids) ? d.scenario.tool_ids : []), ...requiredToolIds])] };
    const problems = DRAFT_FIELDS.flatMap((f) => fieldValueErrors(f, draft[f]).map((m) => `${f}: ${m}`));
    if (!personalities.has(draft.personality)) problems.push(`personality: ${draft.personality} does not exist.`);
    const unknownTools = draft.tool_ids.filter((t) => !tools.has(t));
    if (unknownTools.length) problems.push(`tool_ids: unknown ${unknownTools.join(', ')}.`);
    if (problems.length) {
      issues.push(...problems.map((m) => ({ scenario_id: null, field: `draft ${i + 1}`, message: m })));
      return [];
    }
    return [{ ...d, scenario: draft }];
  });
  return { accepted, issues };
}
