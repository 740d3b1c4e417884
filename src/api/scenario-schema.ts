import { z } from 'zod';
import { LANGUAGE_CODES } from '../domain/languages.js';
import { SCENARIO_TYPES, SUITE_TYPES } from '../domain/scenario.js';
import { isoTime } from './schemas.js';

const PhoneNumber = z.object({ id: z.number().int(), number: z.string(), phone_number_id: z.string() });

export const TestProfileData = z.object({
  id: z.number().int(),
  project: z.number().int().nullable(),
  agent: z.number().int().nullable(),
  agent_name: z.string(),
  name: z.string(),
  information: z.record(z.string(), z.unknown()),
  created_by: z.number().int().nullable(),
  last_updated_by: z.number().int().nullable(),
  created_at: isoTime(),
  updated_at: isoTime(),
});

/** The seed's Scenario object as we answer it, plus `revision` (what a suggestion is based on). */
export const ScenarioOut = z.object({
  id: z.number().int(),
  name: z.string(),
  agent: z.number().int().nullable().describe('Agent ID'),
  project: z.number().int().nullable(),
  personality: z.number().int(),
  personality_name: z.string(),
  agent_name: z.string(),
  tags: z.array(z.string()),
  tool_ids: z.array(z.string()),
  metrics: z.array(z.number().int()),
  // The seed types this as a string but documents a list of names; a list is what clients receive.
  metric_names: z.array(z.string()),
  phone_number: z.string(),
  outbound_phone_number_data: PhoneNumber.nullable(),
  first_message: z.string(),
  inbound_phone_number: z.number().int().nullable(),
  inbound_phone_number_data: PhoneNumber.nullable(),
  instructions: z.string(),
  conditional_actions: z.unknown(),
  simulation_description: z.string(),
  information_fields: z.record(z.string(), z.unknown()),
  expected_outcome_prompt: z.string(),
  scenario_language: z.enum(LANGUAGE_CODES),
  scenario_type: z.enum(SCENARIO_TYPES),
  suite_type: z.enum(SUITE_TYPES),
  is_predefined: z.boolean(),
  test_profile: z.number().int().nullable(),
  test_profile_data: TestProfileData.nullable(),
  dynamic_variable_values: z.unknown(),
  generated_mock_tool_entries: z.unknown(),
  folder_path: z.string().nullable(),
  max_duration: z.number().int().nullable(),
  revision: z.number().int().describe('Incremented by every write; suggestions name the revision they were based on.'),
  created_by: z.number().int().nullable(),
  last_updated_by: z.number().int().nullable(),
  created_at: isoTime(),
  updated_at: isoTime(),
});
export type ScenarioOut = z.infer<typeof ScenarioOut>;

/**
 * What a bulk write answers where the reference documents one scenario object for it (adv_update,
 * add_tags): the first scenario written, as that object, with every scenario written in `results`
 * and their number in `count`. A client reading the documented object finds the scenario it sent
 * (one, the usual case); one reading `results`, as the reference's clients do with lists, finds all.
 */
export const BulkWritten = ScenarioOut.extend({
  count: z.number().int().describe('How many scenarios the write covers'),
  results: z.array(ScenarioOut).describe('Every scenario the write covers, by id'),
});

export const bulkWritten = (views: readonly ScenarioOut[]): z.infer<typeof BulkWritten> => ({ ...views[0]!, count: views.length, results: [...views] });
