import type { NotDone } from '../../../domain/suggestion.js';

export interface PlannerScenario {
  id: number; revision: number; name: string; agent: number | null; agent_name: string;
  personality: number; personality_name: string; tags: string[]; tool_ids: string[]; first_message: string;
  instructions: string; conditional_actions: unknown | null; simulation_description: string;
  information_fields: Record<string, unknown>; expected_outcome_prompt: string; scenario_language: string;
  scenario_type: string; folder_path: string | null; max_duration: number | null;
}
export interface PlannerContext {
  agent: { id: number; name: string; description: string; language: string } | null;
  personalities: Array<{ id: number; name: string; language: string; description: string }>;
  folders: string[];                                   // existing folder paths, e.g. "Sales", "Sales.Inbound"
  tools: Array<{ id: string; name: string; description?: string }>;  // predefined + organization tools
  knowledgeBase: Array<{ id: number; file_name: string; text: string; agent_id?: number | null }>;
  agents?: Array<{ id: number; agent_name: string }>;  // the project's agents, for asking which one a scenario tests
  agentProfiles?: Array<{ id: number; name: string; description: string; language: string }>;  // every agent, with its description
  existingScenarios?: Array<{ name: string; summary: string }>;  // the agent's scenarios, so drafts never repeat them
}
/** Writable scenario fields an engine may change. */
export type ChangeableField = 'name' | 'personality' | 'tags' | 'tool_ids' | 'first_message' | 'instructions' |
  'expected_outcome_prompt' | 'scenario_language' | 'folder_path' | 'max_duration' | 'information_fields' |
  'simulation_description' | 'conditional_actions' | 'scenario_type';
export interface PlannedChange {
  scenarioId: number;
  fields: Partial<Record<ChangeableField, unknown>>;
  /** Why each field changes, for the reviewer (the model's reason, or the planner's edit). */
  reasons?: Partial<Record<ChangeableField, string>>;
}
export interface ImprovePlan {
  message: string;            // the assistant's reply: what it changed (counts per kind) and what it could not do
  changes: PlannedChange[];   // only scenarios with at least one field whose value really differs
  notDone: NotDone[];         // every part of the request not carried out, with why
  unsupported: string[];      // the parts of the request it could not carry out, quoted
  understood: boolean;        // every part was understood and carried out: nothing is left for a model
}
export interface DraftScenario {
  name: string; personality: number; scenario_language: string; tags: string[]; tool_ids: string[];
  first_message: string; instructions: string; expected_outcome_prompt: string;
  information_fields: Record<string, unknown>; draft: true; source_files: number[];  // KB file ids drawn on
}
export interface DraftAnswer { message: string; needsClarification: boolean; questions: string[]; drafts: DraftScenario[] }
