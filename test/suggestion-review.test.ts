import { describe, expect, it } from 'vitest';
import type { UpdatedScenario } from '../src/domain/suggestion.js';
import { selectSuggestions, summarizeSuggestions, summaryLine } from '../src/domain/suggestion-review.js';

const items: UpdatedScenario[] = [
  { id: 1, based_on_revision: 3, tags: ['a', 'b'], changes: { tags: { old: ['a'], new: ['a', 'b'] }, max_duration: { old: null, new: 4 } } },
  { id: 2, based_on_revision: 1, changes: { tags: { old: ['a', 'x'], new: ['a', 'b'] } } },
  { name: 'A draft', personality: 1 },
];

describe('summarizeSuggestions', () => {
  it('counts list items added and removed once per suggestion, and plain fields once each, most frequent first', () => {
    expect(summarizeSuggestions(items).map(summaryLine)).toEqual(['tags +b × 2', 'max_duration × 1', 'tags -x × 1']);
  });
});

describe('selectSuggestions', () => {
  it('keeps only the chosen scenarios and fields, with their new values at the top level as apply reads them', () => {
    expect(selectSuggestions(items, { scenarioIds: [1], fields: ['max_duration'] })).toEqual([
      { id: 1, based_on_revision: 3, max_duration: 4, changes: { max_duration: { old: null, new: 4 } } },
    ]);
  });
  it('drops a suggestion left with no chosen field, and drafts when scenarios are named', () => {
    expect(selectSuggestions(items, { fields: ['max_duration'] }).map((s) => s.id ?? 'draft')).toEqual([1, 'draft']);
    expect(selectSuggestions(items, { scenarioIds: [2] }).map((s) => s.id)).toEqual([2]);
  });

  it('keeps the reasons of the chosen fields only, and the scenario\'s notes', () => {
    const withReasons: UpdatedScenario = {
      id: 9, based_on_revision: 1, tags: ['a'], max_duration: 60,
      changes: { tags: { old: [], new: ['a'] }, max_duration: { old: null, new: 60 } },
      reasons: { tags: 'tagged', max_duration: 'capped' }, notes: ['not translated'],
    };
    expect(selectSuggestions([withReasons], { fields: ['tags'] })).toEqual([
      { id: 9, based_on_revision: 1, tags: ['a'], changes: { tags: { old: [], new: ['a'] } }, reasons: { tags: 'tagged' }, notes: ['not translated'] },
    ]);
  });
});
