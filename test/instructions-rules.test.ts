import { describe, expect, it } from 'vitest';
import { instructionsChange, proposedChanges } from '../src/domain/instructions.js';

const plain = { scenario_type: 'instruction' as const, expected_outcome_prompt: '' };
const actions = { scenario_type: 'conditional_actions' as const, expected_outcome_prompt: 'Booked.' };
const ca = { role: 'A patient', conditions: [{ id: 0, condition: 'FIRST_MESSAGE', action: 'Hi', type: 'standard' as const, fixed_message: true }] };

describe('instructionsChange', () => {
  it('new instructions clear conditional actions, trimmed', () => {
    expect(instructionsChange(plain, { instructions: '  Ask for a refund.\n' })).toEqual({
      change: { instructions: 'Ask for a refund.', conditional_actions: null },
    });
  });

  it('conditional actions clear the plain-text instructions', () => {
    expect(instructionsChange(actions, { conditionalActions: ca })).toEqual({ change: { instructions: '', conditional_actions: ca } });
  });

  it('takes conditional actions sent as JSON text in instructions', () => {
    expect(instructionsChange(actions, { instructions: JSON.stringify(ca) })).toEqual({ change: { instructions: '', conditional_actions: ca } });
  });

  it('an answer that does not fit the scenario type is a problem, not a change', () => {
    expect(instructionsChange(plain, {})).toEqual({ problem: 'the engine returned no instructions' });
    expect(instructionsChange(plain, { instructions: '   ' })).toEqual({ problem: 'the engine returned no instructions' });
    expect(instructionsChange(plain, { instructions: 'x'.repeat(100_001) })).toHaveProperty('problem');
    expect(instructionsChange(actions, { instructions: 'Say hello' })).toEqual({ problem: expect.stringContaining('no valid conditional actions') });
    expect(instructionsChange(actions, { conditionalActions: { role: 'r', conditions: [{ ...ca.conditions[0], id: 3 }] } })).toEqual({
      problem: expect.stringContaining('not numbered from 0'),
    });
    expect(instructionsChange(actions, { conditionalActions: { role: 'r', conditions: [], extra: 1 } })).toHaveProperty('problem');
  });

  it('proposes an expected outcome only where the scenario has none', () => {
    expect(instructionsChange(plain, { instructions: 'x', expectedOutcomePrompt: ' Refunded. ' })).toEqual({
      change: { instructions: 'x', conditional_actions: null, expected_outcome_prompt: 'Refunded.' },
    });
    expect(instructionsChange(actions, { conditionalActions: ca, expectedOutcomePrompt: 'Other.' })).toEqual({
      change: { instructions: '', conditional_actions: ca },
    });
    expect(instructionsChange(plain, { instructions: 'x', expectedOutcomePrompt: '  ' })).toEqual({ change: { instructions: 'x', conditional_actions: null } });
  });
});

describe('proposedChanges', () => {
  const stored = { instructions: 'old', conditional_actions: null, expected_outcome_prompt: '' };

  it("adds the engine's change to the payload's own changes, against the stored values", () => {
    const basis = { name: { old: 'A', new: 'B' }, instructions: { old: 'old', new: 'typed by the user' } };
    const fields = { ...stored, name: 'B', instructions: 'typed by the user' };
    expect(proposedChanges(basis, fields, { instructions: 'generated', conditional_actions: null })).toEqual({
      name: { old: 'A', new: 'B' },
      instructions: { old: 'old', new: 'generated' },
    });
  });

  it('a value set back to the stored one is no change', () => {
    const basis = { instructions: { old: 'old', new: 'typed' } };
    expect(proposedChanges(basis, { ...stored, instructions: 'typed' }, { instructions: 'old', conditional_actions: null })).toEqual({});
    expect(proposedChanges({}, stored, { instructions: 'old', conditional_actions: null })).toEqual({});
  });
});
