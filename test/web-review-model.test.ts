import { describe, expect, it } from 'vitest';
import type { UpdatedScenario } from '../src/client/index.js';
import { readUpdatedScenarios } from '../src/domain/suggestion.js';
import {
  type Applied,
  acceptAll,
  allApplied,
  applyPayload,
  cardState,
  cardsOfRow,
  countAccepted,
  decideField,
  filterCards,
  markApplied,
  reviewItems,
  sentFields,
} from '../src/web/review-model.js';

// Two suggestions as an improve job answers them, and a draft as clarify does.
const improve: UpdatedScenario[] = [
  {
    id: 4,
    name: 'Refund',
    based_on_revision: 2,
    tags: ['billing'],
    max_duration: 300,
    changes: { tags: { old: [], new: ['billing'] }, max_duration: { old: null, new: 300 } },
  },
  { id: 7, name: 'Upgrade', based_on_revision: 1, instructions: 'Ask twice.', changes: { instructions: { old: 'Ask.', new: 'Ask twice.' } } },
];
const draft: UpdatedScenario = { name: 'New one', personality: 3, tags: ['draft'], instructions: 'Call.', draft: true, source_files: [] };

describe('review model', () => {
  it('reads each suggestion with its changed fields, old and new', () => {
    const items = reviewItems([...improve, draft]);
    expect(items.map((i) => [i.key, i.id, i.name, i.basedOnRevision])).toEqual([
      ['scenario-4', 4, 'Refund', 2],
      ['scenario-7', 7, 'Upgrade', 1],
      ['draft-2', null, 'New one', null],
    ]);
    expect(items[0]!.fields).toEqual([
      { field: 'tags', old: [], new: ['billing'] },
      { field: 'max_duration', old: null, new: 300 },
    ]);
    expect(items[2]!.fields.map((f) => f.field)).toEqual(['name', 'personality', 'tags', 'instructions']);
  });

  it('sends everything when everything is accepted, in the shape apply reads', () => {
    const items = reviewItems(improve);
    const payload = applyPayload(items, acceptAll(items));
    expect(payload).toEqual([
      { id: 4, based_on_revision: 2, tags: ['billing'], max_duration: 300 },
      { id: 7, based_on_revision: 1, instructions: 'Ask twice.' },
    ]);
    expect(readUpdatedScenarios(payload)).toEqual({
      errors: [],
      drafts: [],
      suggestions: [
        {
          scenario_id: 4,
          based_on_revision: 2,
          changes: [
            { field: 'tags', value: ['billing'] },
            { field: 'max_duration', value: 300 },
          ],
          notes: [],
        },
        { scenario_id: 7, based_on_revision: 1, changes: [{ field: 'instructions', value: 'Ask twice.' }], notes: [] },
      ],
    });
  });

  it('leaves out rejected scenarios and rejected fields, so apply does not touch them', () => {
    const items = reviewItems(improve);
    const d = acceptAll(items);
    d.get('scenario-4')!.delete('max_duration');
    d.set('scenario-7', new Set());
    const payload = applyPayload(items, d);
    expect(payload).toEqual([{ id: 4, based_on_revision: 2, tags: ['billing'] }]);
    // apply reads top-level fields first, so the rejected change in `changes` is never applied.
    expect(readUpdatedScenarios(payload).suggestions).toEqual([
      { scenario_id: 4, based_on_revision: 2, changes: [{ field: 'tags', value: ['billing'] }], notes: [] },
    ]);
    expect(countAccepted(items, d)).toEqual({ scenarios: 1, fields: 1 });
  });

  it('applies over the current revision once a conflict is resolved that way', () => {
    const items = reviewItems(improve);
    expect(applyPayload(items, acceptAll(items), new Map([[7, 5]]))[1]).toEqual({ id: 7, based_on_revision: 5, instructions: 'Ask twice.' });
  });

  it('sends an accepted draft whole and a rejected one not at all', () => {
    const items = reviewItems([draft]);
    const d = acceptAll(items);
    d.get('draft-0')!.delete('tags');
    const payload = applyPayload(items, d);
    expect(payload).toEqual([{ name: 'New one', personality: 3, tags: ['draft'], instructions: 'Call.' }]);
    expect(readUpdatedScenarios(payload).errors).toEqual([]);
    expect(applyPayload(items, new Map([['draft-0', new Set()]]))).toEqual([]);
  });
});

describe('review at size', () => {
  it('a summary row accepts or rejects its field on exactly the cards that make its change', () => {
    const items = reviewItems(improve);
    const d = acceptAll(items);
    const tagged = cardsOfRow(items, { field: 'tags', kind: 'add', item: 'billing' });
    expect(tagged.map((c) => c.id)).toEqual([4]);
    decideField(tagged, 'tags', false, d);
    expect(cardState(items[0]!, d, new Set())).toBe('partly');
    expect(cardState(items[1]!, d, new Set())).toBe('accepted');
    expect(cardState(items[1]!, d, new Set(['scenario-7']))).toBe('conflict');
    decideField(cardsOfRow(items, { field: 'max_duration', kind: 'set' }), 'max_duration', false, d);
    expect(cardState(items[0]!, d, new Set())).toBe('rejected');
  });

  it('filters by field, state and text in the name or a suggested value', () => {
    const items = reviewItems(improve);
    const d = acceptAll(items);
    expect(filterCards(items, { field: 'instructions' }, d, new Set()).map((c) => c.id)).toEqual([7]);
    expect(filterCards(items, { text: 'twice' }, d, new Set()).map((c) => c.id)).toEqual([7]);
    expect(filterCards(items, { text: 'refund' }, d, new Set()).map((c) => c.id)).toEqual([4]);
    d.set('scenario-4', new Set());
    expect(filterCards(items, { state: 'rejected' }, d, new Set()).map((c) => c.id)).toEqual([4]);
  });

  it('sends a value the reviewer corrected, with the suggestion beside it so the server records the edit', () => {
    const items = reviewItems(improve);
    const edits = new Map([['scenario-4', new Map<string, unknown>([['tags', ['billing', 'vip']]])]]);
    const [sent] = applyPayload(items, acceptAll(items), new Map(), edits);
    expect(sent).toEqual({ id: 4, based_on_revision: 2, tags: ['billing', 'vip'], max_duration: 300, changes: { tags: { old: [], new: ['billing'] } } });
    expect(readUpdatedScenarios([sent!]).suggestions[0]!.changes).toEqual([
      { field: 'tags', value: ['billing', 'vip'], edited: true },
      { field: 'max_duration', value: 300 },
    ]);
  });

  it('after an apply of some fields, settles them and leaves the rest to accept and apply on its own', () => {
    const items = reviewItems([...improve, draft]);
    const decisions = acceptAll(items);
    decideField(items, 'max_duration', false, decisions);
    const applied: Applied = new Map();
    markApplied(sentFields(items, decisions), decisions, applied);
    expect([...applied]).toEqual([
      ['scenario-4', new Set(['tags'])],
      ['scenario-7', new Set(['instructions'])],
      ['draft-2', new Set(['name', 'personality', 'tags', 'instructions'])],
    ]);
    expect(items.map((it) => cardState(it, decisions, new Set(), applied))).toEqual(['rejected', 'applied', 'applied']);
    expect(allApplied(items, applied)).toBe(false);
    // Accepting every tag again leaves the applied ones alone; the call length is what an apply sends now.
    decideField(items, 'tags', true, decisions, applied);
    decideField(items, 'max_duration', true, decisions, applied);
    expect(applyPayload(items, decisions)).toEqual([{ id: 4, based_on_revision: 2, max_duration: 300 }]);
    markApplied(sentFields(items, decisions), decisions, applied);
    expect(allApplied(items, applied)).toBe(true);
  });

  it('sends a corrected draft value beside the one drafted, so the server can record the correction', () => {
    const items = reviewItems([draft]);
    const edits = new Map([['draft-0', new Map<string, unknown>([['instructions', 'Call twice.']])]]);
    expect(applyPayload(items, acceptAll(items), new Map(), edits)).toEqual([
      { name: 'New one', personality: 3, tags: ['draft'], instructions: 'Call twice.', changes: { instructions: { old: null, new: 'Call.' } } },
    ]);
    const read = readUpdatedScenarios(applyPayload(items, acceptAll(items), new Map(), edits) as Array<Record<string, unknown>>);
    expect(read.drafts[0]).toMatchObject({ scenario: { instructions: 'Call twice.' }, edited: ['instructions'] });
  });
});
