import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseSelection } from '../src/cli/commands/improve.js';
import { changedFields, FILE_FIELDS, fileNameFor, parseScenarioFile, type References, toDesired, toFileRecord } from '../src/cli/scenario-files.js';
import { styleFor } from '../src/cli/terminal.js';
import type { Scenario } from '../src/client/index.js';
import { SCENARIO_FIELDS } from '../src/domain/scenario.js';
import { renderChange } from '../src/domain/suggestion-text.js';

describe('rendering a change', () => {
  const plain = { style: styleFor({ isTTY: false }, {}) };
  it('lists, short values and long text each read plainly without colour', () => {
    expect(renderChange('tool_ids', { old: ['TOOL_END_CALL'], new: ['TOOL_DTMF'] }, plain)).toBe('  tool_ids: +TOOL_DTMF -TOOL_END_CALL');
    expect(renderChange('max_duration', { old: null, new: 300 }, plain)).toBe('  max_duration: (none) → 300');
    expect(renderChange('instructions', { old: 'Line one\nline two', new: 'Line one\nline 2' }, plain)).toBe(
      '  instructions:\n    Line one\n    line [-two-]{+2+}',
    );
  });
  it('colours only when asked to', () => {
    expect(styleFor({ isTTY: true }, {}).enabled).toBe(true);
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' }).enabled).toBe(false);
    expect(styleFor({ isTTY: false }, { FORCE_COLOR: '1' }).enabled).toBe(true);
  });
});

describe('scenario selection', () => {
  it('takes "all" or a list of ids, nothing else', () => {
    expect(parseSelection('all')).toBe('all');
    expect(parseSelection('1, 2,3')).toEqual([1, 2, 3]);
    for (const bad of ['', '1,x', '0', '-1', '1.5']) expect(() => parseSelection(bad)).toThrow(InvalidArgumentError);
  });
});

describe('scenario files', () => {
  const refs: References = {
    refForAgent: (id) => (id === 1 ? 'Billing line' : id),
    refForPersonality: (id) => (id === 1 ? 'Normal Male' : id),
    agentId: (ref) => (ref === 'Billing line' || ref === 1 ? 1 : Number.isInteger(ref) ? (ref as number) : fail(`No agent "${ref}".`)),
    personalityId: (ref) => (ref === 'Normal Male' || ref === 1 ? 1 : Number.isInteger(ref) ? (ref as number) : fail(`No personality "${ref}".`)),
  };
  function fail(message: string): never {
    throw new Error(message);
  }

  it('hold every versioned scenario field exactly once', () => {
    expect([...FILE_FIELDS].sort()).toEqual([...SCENARIO_FIELDS].sort());
  });

  it('name files after scenarios, stably and without clashes', () => {
    const taken = new Set<string>();
    expect(fileNameFor('Refund for a double charge', 'yaml', taken)).toBe('refund-for-a-double-charge.yaml');
    expect(fileNameFor('Refund: for a DOUBLE charge!', 'yaml', taken)).toBe('refund-for-a-double-charge-2.yaml');
    expect(fileNameFor('Crème brûlée', 'json', taken)).toBe('creme-brulee.json');
    expect(fileNameFor('???', 'yaml', taken)).toBe('scenario.yaml');
    expect(fileNameFor('x'.repeat(200), 'yaml', new Set())).toBe(`${'x'.repeat(60)}.yaml`);
  });

  it('round-trip: a scenario written to a file reads back as the same scenario', () => {
    const stored = {
      id: 7,
      name: 'Refund',
      agent: 1,
      personality: 1,
      tags: ['billing'],
      tool_ids: [],
      metrics: [],
      first_message: '',
      inbound_phone_number: null,
      instructions: 'Line one\nLine two\n',
      conditional_actions: null,
      simulation_description: '',
      information_fields: { plan: 'gold' },
      expected_outcome_prompt: '',
      scenario_language: 'de',
      scenario_type: 'instruction',
      suite_type: 'undefined',
      is_predefined: false,
      test_profile: null,
      generated_mock_tool_entries: null,
      folder_path: null,
      max_duration: 120,
    } as unknown as Scenario;
    const record = toFileRecord(stored, refs);
    expect(Object.keys(record)).toEqual(['name', 'agent', 'personality', 'tags', 'scenario_language', 'max_duration', 'instructions', 'information_fields']);
    const { scenario, errors } = toDesired(record, refs);
    expect(errors).toEqual([]);
    expect(changedFields(stored, scenario!)).toEqual([]);
    expect(changedFields(stored, toDesired({ ...record, tags: [] }, refs).scenario!)).toEqual(['tags']);
  });

  it('report every problem in a record, and parse YAML streams and JSON arrays', () => {
    expect(toDesired({ name: '', personality: 'Nobody', max_duration: 1, extra: 1 }, refs).errors).toEqual([
      'unknown field "extra"',
      'name: required',
      expect.stringMatching(/^name: /),
      'personality: No personality "Nobody".',
      expect.stringMatching(/^max_duration: /),
    ]);
    expect(toDesired({ name: 'x', personality: 1, instructions: 'Talk.', conditional_actions: { role: 'r', conditions: [] } }, refs).errors).toEqual([
      expect.stringMatching(/^conditional_actions: /),
      expect.stringMatching(/^non_field_errors: Use either conditional_actions/),
    ]);
    expect(parseScenarioFile('name: a\n---\nname: b\n', 'x.yaml')).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(parseScenarioFile('[{"name": "a"}]', 'x.json')).toEqual([{ name: 'a' }]);
    expect(() => parseScenarioFile('- a\n- b\n', 'x.yaml')).toThrow('expected a scenario');
    expect(() => parseScenarioFile('name: [', 'x.yml')).toThrow();
  });
});
