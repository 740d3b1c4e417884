import { describe, expect, it } from 'vitest';
import { EMPTY_SCENARIO, type ScenarioFields } from '../src/domain/scenario.js';
import { draftEdits, type ProposedChange } from '../src/domain/suggestion.js';
import { staleVerdict } from '../src/services/same-job-applies.js';

const current: ScenarioFields = { ...EMPTY_SCENARIO, name: 'Refund', instructions: 'Call. Give the account number.', tags: ['billing'] } as ScenarioFields;
const tags: ProposedChange = { field: 'tags', value: ['billing', 'reviewed'] };
const instructions: ProposedChange = { field: 'instructions', value: 'Call. Give the account number.' };

describe('a suggestion based on a revision its scenario has moved past', () => {
  it('is in effect when the scenario holds every value already, whoever moved it', () => {
    expect(staleVerdict([instructions], current, undefined)).toBe('in_effect');
    expect(staleVerdict([{ field: 'tags', value: ['billing', 'billing'] }], current, new Set(['tags']))).toBe('in_effect');
  });

  it('is written when only applies of its own job moved it, touching other fields or leaving them as suggested', () => {
    expect(staleVerdict([tags], current, new Set(['instructions']))).toBe('write');
    expect(staleVerdict([instructions, tags], current, new Set(['instructions']))).toBe('write');
  });

  it('is a conflict when anyone else moved it, or its own job wrote another value to a field it changes', () => {
    expect(staleVerdict([tags], current, undefined)).toBe('conflict');
    expect(staleVerdict([{ field: 'instructions', value: 'Call.' }, tags], current, new Set(['instructions']))).toBe('conflict');
  });
});

describe("a draft's corrections", () => {
  const drafted = [{ name: 'Lost invoice', personality: 1, tags: ['invoices'], instructions: 'Ask for a copy.', draft: true as const }];
  it('are the fields unlike the draft of the same name its job made', () => {
    expect(
      draftEdits(
        { scenario: { name: 'Lost invoice', personality: 1, tags: ['invoices'], instructions: 'Ask for two copies.' }, reason: '', sources: [] },
        drafted,
      ),
    ).toEqual(['instructions']);
    expect(draftEdits({ scenario: { name: 'Lost invoice', personality: 1, tags: ['invoices', 'invoices'] }, reason: '', sources: [] }, drafted)).toEqual([]);
  });

  it('are what the apply said when the name itself was corrected, or the job is not known', () => {
    const renamed = { scenario: { name: 'Invoice gone', personality: 1 }, reason: '', sources: [], edited: ['name' as const] };
    expect(draftEdits(renamed, drafted)).toEqual(['name']);
    expect(draftEdits({ ...renamed, edited: undefined }, [])).toEqual([]);
  });
});
