import { describe, expect, it } from 'vitest';
import type { UpdatedScenario } from '../src/domain/suggestion.js';
import {
  appliedState,
  changeKeys,
  reviewStateOf,
  selectSuggestions,
  sessionReviewState,
  summarizeSuggestions,
  summaryLine,
} from '../src/domain/suggestion-review.js';

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

  it("keeps the reasons of the chosen fields only, and the scenario's notes", () => {
    const withReasons: UpdatedScenario = {
      id: 9,
      based_on_revision: 1,
      tags: ['a'],
      max_duration: 60,
      changes: { tags: { old: [], new: ['a'] }, max_duration: { old: null, new: 60 } },
      reasons: { tags: 'tagged', max_duration: 'capped' },
      notes: ['not translated'],
    };
    expect(selectSuggestions([withReasons], { fields: ['tags'] })).toEqual([
      { id: 9, based_on_revision: 1, tags: ['a'], changes: { tags: { old: [], new: ['a'] } }, reasons: { tags: 'tagged' }, notes: ['not translated'] },
    ]);
  });
});

describe('review state', () => {
  it('running and failed follow the job status; otherwise what the reviewer did, or nothing to review', () => {
    expect(reviewStateOf({ status: 'in_progress', review_state: null })).toBe('running');
    expect(reviewStateOf({ status: 'failed', review_state: null })).toBe('failed');
    expect(reviewStateOf({ status: 'completed', review_state: 'partly_applied' })).toBe('partly_applied');
    expect(reviewStateOf({ status: 'completed', review_state: null })).toBeNull();
  });
  it('a session shows its latest suggestions, unless its latest job runs or failed', () => {
    const waiting = { status: 'completed', review_state: 'to_review' };
    expect(sessionReviewState({ status: 'completed', review_state: null }, waiting)).toBe('to_review');
    expect(sessionReviewState({ status: 'failed', review_state: null }, waiting)).toBe('failed');
    expect(sessionReviewState(undefined, undefined)).toBeNull();
  });
  it('an apply covering every scenario and field suggested is whole; one missing a field is partial', () => {
    const suggested = changeKeys(items);
    expect([...suggested]).toEqual(['1:tags', '1:max_duration', '2:tags', 'draft:A draft']);
    expect(appliedState(suggested, changeKeys(selectSuggestions(items, {})))).toBe('applied');
    expect(appliedState(suggested, changeKeys(selectSuggestions(items, { fields: ['tags'] })))).toBe('partly_applied');
    // A client's edit without `changes` names its fields by their values.
    expect([...changeKeys([{ id: 5, tags: ['x'] }])]).toEqual(['5:tags']);
  });
});
