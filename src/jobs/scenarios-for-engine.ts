import type { PlannerScenario } from '../agent/engine.js';
import type { SuggestionTarget } from '../agent/validate.js';
import type { Executor } from '../store/db.js';
import { scenarioViews } from '../store/scenario-views.js';
import { scenarioFieldsOf } from '../store/scenarios.js';
import type { Row } from '../store/schema.js';

/** The compact form of scenarios an engine sees, with the revision each suggestion will be based on. */
export async function engineScenarios(db: Executor, organizationId: number, rows: Row<'scenarios'>[]) {
  const views = await scenarioViews(db, organizationId, rows);
  const scenarios: PlannerScenario[] = views.map((v) => ({
    id: v.id,
    revision: v.revision,
    name: v.name,
    agent: v.agent,
    agent_name: v.agent_name,
    personality: v.personality,
    personality_name: v.personality_name,
    tags: v.tags,
    tool_ids: v.tool_ids,
    first_message: v.first_message,
    instructions: v.instructions,
    conditional_actions: v.conditional_actions,
    simulation_description: v.simulation_description,
    information_fields: v.information_fields,
    expected_outcome_prompt: v.expected_outcome_prompt,
    scenario_language: v.scenario_language,
    scenario_type: v.scenario_type,
    folder_path: v.folder_path,
    max_duration: v.max_duration,
  }));
  const targets = new Map<number, SuggestionTarget>(rows.map((r) => [r.id, { revision: r.revision, fields: scenarioFieldsOf(r), projectId: r.project_id }]));
  return { scenarios, targets };
}
