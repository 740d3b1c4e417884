import { describe, expect, it } from 'vitest';
import { EMPTY_SCENARIO, type ScenarioFields } from '../../src/domain/scenario.js';
import { type ScenarioRowMeta, scenarioFieldsOf, snapshotOf, unsavedRow } from '../../src/store/scenarios.js';

const meta: ScenarioRowMeta = {
  id: 7,
  organization_id: 1,
  project_id: 2,
  revision: 3,
  created_by: null,
  last_updated_by: 4,
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-02T00:00:00.000Z',
  dynamic_variable_values: null,
};

/** A revision's snapshot is made from the row's columns as stored: it must say what parsing the row says. */
describe('a scenario snapshot', () => {
  it('holds every field of the row, each as scenarioFieldsOf reads it', () => {
    const fields: ScenarioFields = {
      name: 'Quote " backslash \\ newline \n tab \t and \u2028 \ud83d\ude00',
      agent: 5,
      personality: 6,
      tags: ['a,"b"{1}', 'c'],
      tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF'],
      metrics: [3, 1],
      first_message: 'Hi </script>',
      inbound_phone_number: 9,
      instructions: '',
      conditional_actions: { conditions: [{ id: 0, condition: 'asked', action: 'answer' }] } as unknown as ScenarioFields['conditional_actions'],
      simulation_description: 'Line one\r\nLine two',
      information_fields: { account: '1', nested: { deep: [1, null] } },
      expected_outcome_prompt: 'Done.',
      scenario_language: 'de',
      scenario_type: 'conditional_actions',
      suite_type: 'undefined',
      is_predefined: true,
      test_profile: 11,
      generated_mock_tool_entries: [{ tool: 'x', output: { ok: true } }],
      folder_path: 'Billing/Refunds',
      max_duration: 120,
    };
    const row = unsavedRow(fields, meta);
    expect(JSON.parse(snapshotOf(row))).toEqual(fields);
    expect(JSON.parse(snapshotOf(row))).toEqual(scenarioFieldsOf(row));
  });

  it('keeps the fields a scenario leaves empty as null, false and empty lists', () => {
    const fields = { ...EMPTY_SCENARIO, name: 'Bare', personality: 1 } as ScenarioFields;
    const row = unsavedRow(fields, meta);
    expect(Object.keys(JSON.parse(snapshotOf(row)))).toEqual(Object.keys(scenarioFieldsOf(row)));
    expect(JSON.parse(snapshotOf(row))).toEqual(fields);
  });
});
