// Words for people: what the page calls each field, and how it shows ids (tools, personalities,
// agents) by their names.
import { LANGUAGES } from '../domain/languages.js';
import { PREDEFINED_TOOLS } from '../domain/tools.js';

export const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  agent: 'Agent',
  personality: 'Personality',
  tags: 'Tags',
  tool_ids: 'Tools',
  metrics: 'Metrics',
  first_message: 'First message',
  instructions: 'Instructions',
  conditional_actions: 'Conditional actions',
  simulation_description: 'Simulation description',
  information_fields: 'Information fields',
  expected_outcome_prompt: 'Expected outcome',
  scenario_language: 'Language',
  scenario_type: 'Scenario type',
  folder_path: 'Folder',
  max_duration: 'Maximum call length',
  test_profile: 'Test profile',
  inbound_phone_number: 'Inbound phone number',
  generated_mock_tool_entries: 'Mock tool entries',
};

/** A field's label, or its name turned into words for a field the page does not know. */
export const fieldLabel = (field: string): string => FIELD_LABELS[field] ?? field.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

export const LANGUAGE_NAMES = new Map<string, string>(LANGUAGES.map(([code, name]) => [code, name as string]));
export const SCENARIO_TYPE_NAMES: Record<string, string> = {
  instruction: 'Instructions',
  real_world_smart: 'Real world (smart)',
  real_world_fixed: 'Real world (fixed)',
  conditional_actions: 'Conditional actions',
};

/** Names by id for what a scenario refers to, read once per review. */
export interface NameBooks {
  personality: Map<number, string>;
  agent: Map<number, string>;
  tool: Map<string, string>;
}

export const emptyBooks = (): NameBooks => ({ personality: new Map(), agent: new Map(), tool: new Map(PREDEFINED_TOOLS.map((t) => [t.id, t.name])) });

/** A field's value as a person reads it: ids by name, seconds as minutes, information fields as `key: value` lines. */
export function shownValue(field: string, value: unknown, books: NameBooks): unknown {
  if (value === null || value === undefined) return value;
  if (field === 'personality' || field === 'agent') {
    const known = books[field].get(value as number);
    return typeof value === 'number' ? `${known ?? 'unknown'} (${value})` : value;
  }
  if (field === 'tool_ids' && Array.isArray(value)) return value.map((t) => books.tool.get(String(t)) ?? String(t));
  if (field === 'scenario_language' && typeof value === 'string') return LANGUAGE_NAMES.get(value) ?? value;
  if (field === 'scenario_type' && typeof value === 'string') return SCENARIO_TYPE_NAMES[value] ?? value;
  if (field === 'max_duration' && typeof value === 'number') return `${value} s${value >= 60 ? ` (${Math.round((value / 60) * 10) / 10} min)` : ''}`;
  if (field === 'information_fields' && typeof value === 'object' && !Array.isArray(value)) {
    const rows = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return rows.length ? rows.join('\n') : '';
  }
  return value;
}
