import { describe, expect, it } from 'vitest';
import type { PlannerContext, PlannerScenario } from '../src/agent/engine.js';
import { parseDuration, planImprovement, splitRequest } from '../src/agent/engines/offline/planner.js';
import { valuesOf } from '../src/domain/suggestion.js';
import { PREDEFINED_TOOLS } from '../src/domain/tools.js';

const ctx: PlannerContext = {
  agent: { id: 1, name: 'Acme support', description: 'Answers billing questions. Handles refunds for damaged goods.', language: 'en' },
  personalities: [
    { id: 10, name: 'Normal Male', language: 'en', description: 'Calm' },
    { id: 11, name: 'Angry Customer', language: 'en', description: 'Frustrated' },
    { id: 12, name: 'Impatient Caller', language: 'en', description: 'In a hurry' },
    { id: 13, name: 'Spanish Speaker', language: 'es', description: 'Habla español' },
  ],
  folders: ['Sales', 'Sales.Inbound'],
  tools: [...PREDEFINED_TOOLS.map((t) => ({ id: t.id as string, name: t.name as string })), { id: 'TOOL_LOOKUP_ORDER', name: 'Lookup order' }],
  knowledgeBase: [],
};

const scenario = (over: Partial<PlannerScenario> = {}): PlannerScenario => ({
  id: 1,
  revision: 1,
  name: 'Refund request',
  agent: 1,
  agent_name: 'Acme support',
  personality: 10,
  personality_name: 'Normal Male',
  tags: ['billing'],
  tool_ids: ['TOOL_END_CALL'],
  first_message: '',
  instructions: 'Ask for a refund.',
  conditional_actions: null,
  simulation_description: '',
  information_fields: { order_id: 'A-1' },
  expected_outcome_prompt: 'A refund is opened.',
  scenario_language: 'en',
  scenario_type: 'instruction',
  folder_path: null,
  max_duration: null,
  ...over,
});

const plan = (msg: string, scenarios = [scenario()]) => planImprovement(msg, scenarios, ctx);
const fieldsOf = (msg: string, s = scenario()) => {
  const first = plan(msg, [s]).suggestions[0];
  return first && valuesOf(first);
};

describe('splitting a request', () => {
  it('splits on lines, semicolons and "and" before a new instruction, but not inside quotes', () => {
    expect(splitRequest('add DTMF and remove hold; set language to French\nadd tag x')).toEqual([
      'add DTMF',
      'remove hold',
      'set language to French',
      'add tag x',
    ]);
    expect(splitRequest('set the first message to "Hi, and remove nothing"')).toEqual(['set the first message to "Hi, and remove nothing"']);
  });
});

describe('tools', () => {
  it.each([
    ['add DTMF', ['TOOL_END_CALL', 'TOOL_DTMF']],
    ['add the end call tool', undefined],
    ['enable transfer', ['TOOL_END_CALL', 'TOOL_TRANSFER_CALL']],
    ['add TOOL_HOLD', ['TOOL_END_CALL', 'TOOL_HOLD']],
    ['remove the end call tool', []],
    ["don't allow end call", []],
    ['add the Lookup order tool', ['TOOL_END_CALL', 'TOOL_LOOKUP_ORDER']],
    ['add end call only on transfer', ['TOOL_END_CALL', 'TOOL_END_CALL_ONLY_ON_TRANSFER']],
    ['add TOOL_LOOKUP_ORDER', ['TOOL_END_CALL', 'TOOL_LOOKUP_ORDER']],
  ])('%s', (msg, expected) => {
    expect(fieldsOf(msg)?.tool_ids).toEqual(expected);
  });

  it.each([
    ['remove hold', ['TOOL_END_CALL', 'TOOL_DTMF', 'TOOL_TRANSFER_CALL']],
    ['remove the DTMF tool', ['TOOL_END_CALL', 'TOOL_HOLD', 'TOOL_TRANSFER_CALL']],
    ["don't allow transfer", ['TOOL_END_CALL', 'TOOL_DTMF', 'TOOL_HOLD']],
  ])('%s (from a scenario that has every tool)', (msg, expected) => {
    const all = scenario({ tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF', 'TOOL_HOLD', 'TOOL_TRANSFER_CALL'] });
    expect(fieldsOf(msg, all)?.tool_ids).toEqual(expected);
  });

  it('never duplicates a tool, and removing one the scenario lacks is no change', () => {
    expect(plan('add the end call tool').suggestions).toEqual([]);
    expect(plan('remove hold').suggestions).toEqual([]);
    expect(fieldsOf('add DTMF and add DTMF')?.tool_ids).toEqual(['TOOL_END_CALL', 'TOOL_DTMF']);
  });

  it('an unknown tool is named as not done', () => {
    const p = plan('add the teleport tool');
    expect(p.suggestions).toEqual([]);
    expect(p.message).toContain("don't know that tool");
  });
});

describe('language', () => {
  it.each([
    ['change the language to French', 'fr'],
    ['set language to fr', 'fr'],
    ['make them Spanish', 'es'],
    ['switch to German', 'de'],
    ['language: português', 'pt'],
    ['in German', 'de'],
  ])('%s', (msg, code) => expect(fieldsOf(msg)?.scenario_language).toBe(code));

  it('an unknown language is refused with a reason', () => {
    const p = plan('set the language to Klingon');
    expect(p.suggestions).toEqual([]);
    expect(p.message).toContain('not a supported scenario language');
    expect(p.notDone.map((n) => n.part)).toEqual(['set the language to Klingon']);
  });
});

describe('max duration', () => {
  it.each([
    ['max duration 5 minutes', 300],
    ['limit calls to 90 seconds', 90],
    ['set max duration to 2 min', 120],
    ['max duration 300', 300],
    ['max duration 1.5 minutes', 90],
    ['max duration an hour', 3600],
  ])('%s', (msg, seconds) => expect(fieldsOf(msg)?.max_duration).toBe(seconds));

  it('out of range is refused with the range, and the default can be restored', () => {
    expect(plan('max duration 2 hours').message).toContain('10–3600');
    expect(plan('max duration 5 seconds').notDone.map((n) => n.part)).toEqual(['max duration 5 seconds']);
    expect(fieldsOf('remove the max duration', scenario({ max_duration: 60 }))?.max_duration).toBeNull();
    expect(fieldsOf('use the project default', scenario({ max_duration: 60 }))?.max_duration).toBeNull();
    expect(plan('remove the max duration').suggestions).toEqual([]);
    expect(parseDuration('five minutes')).toBe(300);
  });
});

describe('tags, folder, personality', () => {
  it('adds and removes tags without duplicates', () => {
    expect(fieldsOf('add tag regression')?.tags).toEqual(['billing', 'regression']);
    expect(fieldsOf('add tags regression, urgent')?.tags).toEqual(['billing', 'regression', 'urgent']);
    expect(fieldsOf('tag them as regression')?.tags).toEqual(['billing', 'regression']);
    expect(fieldsOf('add tags billing, billing, new')?.tags).toEqual(['billing', 'new']);
    expect(fieldsOf('tag them as billing')).toBeUndefined();
    expect(fieldsOf('remove tag billing')?.tags).toEqual([]);
    expect(fieldsOf('remove all tags')?.tags).toEqual([]);
  });

  it('moves only into folders that exist', () => {
    expect(fieldsOf('move to folder sales.inbound')?.folder_path).toBe('Sales.Inbound');
    expect(fieldsOf('put them in the Sales folder')?.folder_path).toBe('Sales');
    expect(plan('move to folder Support').message).toContain('create it first');
    expect(plan('move to folder Support').suggestions).toEqual([]);
    expect(fieldsOf('remove from folder', scenario({ folder_path: 'Sales' }))?.folder_path).toBeNull();
  });

  it('picks a personality by name and refuses ambiguity', () => {
    expect(fieldsOf('use the Angry Customer personality')?.personality).toBe(11);
    expect(fieldsOf('make the caller impatient')?.personality).toBe(12);
    expect(plan('set personality to robot').message).toContain('no personality matches');
    expect(plan('set personality to robot').message).toContain('Angry Customer');
    const twoAngry: PlannerContext = { ...ctx, personalities: [...ctx.personalities, { id: 14, name: 'Angry Teenager', language: 'en', description: '' }] };
    const ambiguous = planImprovement('make the caller angry', [scenario()], twoAngry);
    expect(ambiguous.suggestions).toEqual([]);
    expect(ambiguous.message).toContain('more than one personality matches; choose one of: Angry Customer, Angry Teenager');
  });
});

describe('text fields', () => {
  it('sets the first message and the expected outcome from quoted text', () => {
    expect(fieldsOf('set the first message to "Hi, I need help"')?.first_message).toBe('Hi, I need help');
    expect(fieldsOf('first message: Hello there')?.first_message).toBe('Hello there');
    expect(fieldsOf('expected outcome: "The agent books an appointment"')?.expected_outcome_prompt).toBe('The agent books an appointment');
    expect(fieldsOf('set the expected outcome to The agent books it')?.expected_outcome_prompt).toBe('The agent books it');
  });

  it('renames one scenario, numbers several, and prefixes names within the limit', () => {
    expect(fieldsOf('rename to "Refund — damaged box"')?.name).toBe('Refund — damaged box');
    const many = plan('rename to "Same"', [scenario({ id: 1 }), scenario({ id: 2 })]);
    expect(many.suggestions.map((c) => valuesOf(c).name)).toEqual(['Same', 'Same (2)']);
    expect(fieldsOf('prefix names with [QA] ')?.name).toBe('[QA] Refund request');
    expect(fieldsOf('add prefix [QA]')?.name).toBe('[QA] Refund request');
    expect(fieldsOf('add prefix [QA]', scenario({ name: '[QA] Refund request' }))).toBeUndefined();
    expect(plan('rename to ""').suggestions).toEqual([]);
    expect(fieldsOf('prefix names with [QA] ', scenario({ name: 'x'.repeat(80) }))?.name).toHaveLength(80);
  });

  it('writes more detailed instructions from the scenario itself, keeping what was there', () => {
    const text = fieldsOf('make the instructions more detailed')?.instructions as string;
    expect(text).toContain('## Persona');
    expect(text).toContain('order id: A-1');
    // The expected outcome is the grader's: the caller never reads it.
    expect(text).not.toContain('A refund is opened.');
    expect(text).toContain('Ask for a refund.');
    // Asking again does not nest the structure inside itself.
    const again = fieldsOf('more detailed instructions', scenario({ instructions: text }));
    expect(again).toBeUndefined();
    expect(fieldsOf('add to the instructions: mention the order id')?.instructions).toBe('Ask for a refund.\nmention the order id');
  });

  it.each(['expand the instructions', 'add more detail', 'make the instructions more detailed'])('%s builds structured instructions', (msg) => {
    const text = fieldsOf(msg)?.instructions as string;
    expect(text).toMatch(/^## Persona/);
    expect(text).toContain('Ask for a refund.');
  });

  it('leaves conditional-actions scenarios alone when asked for detail', () => {
    expect(plan('more detailed instructions', [scenario({ scenario_type: 'conditional_actions' })]).suggestions).toEqual([]);
  });
});

describe('the reply', () => {
  it('counts what changed, skips scenarios that already match, and says what needs a model', () => {
    const p = plan('add DTMF and make them funnier', [scenario({ id: 1 }), scenario({ id: 2, tool_ids: ['TOOL_DTMF'] })]);
    expect(p.suggestions.map((c) => c.scenario_id)).toEqual([1]);
    expect(p.notDone.map((n) => n.part)).toEqual(['make them funnier']);
    expect(p.message).toContain('1 of 2');
    expect(p.message).toContain('needs a language model');
  });

  it.each(['make them more realistic', 'write 3 new edge cases'])('"%s" changes nothing and explains how to configure a model', (msg) => {
    const p = plan(msg);
    expect(p.suggestions).toEqual([]);
    expect(p.notDone.map((n) => n.part)).toEqual([msg]);
    expect(p.message).toContain('SCENARIST_MODEL=openai:gpt-4.1-mini');
    expect(p.message).toContain('docs/models.md');
  });

  it('carries out several parts joined by commas, "and" and new lines', () => {
    const p = plan('add DTMF, set the language to French and add tag urgent\nmax duration 2 min', [
      scenario({ id: 1 }),
      scenario({ id: 2 }),
      scenario({ id: 3, tool_ids: ['TOOL_DTMF'] }),
    ]);
    expect(p.suggestions).toHaveLength(3);
    expect(valuesOf(p.suggestions[0]!)).toEqual({
      tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF'],
      scenario_language: 'fr',
      tags: ['billing', 'urgent'],
      max_duration: 120,
    });
    expect(p.message).toContain('I suggest changes to 3 of 3 scenarios');
    expect(p.message).toContain('added TOOL_DTMF on 2');
    expect(p.message).toContain('set the language to French (fr) on 3');
  });

  it('proposes nothing the Scenario rules would refuse', () => {
    const full = scenario({ tags: Array.from({ length: 200 }, (_, i) => `t${i}`) });
    const p = plan('add tag one-too-many', [full]);
    expect(p.suggestions).toEqual([]);
    expect(p.message).toContain('would not be valid');
  });

  it('says why when nothing applies', () => {
    expect(plan('add DTMF', []).message).toContain('no scenarios');
    expect(plan('add the end call tool').message).toContain('already match');
  });

  it('is deterministic', () => {
    expect(plan('add DTMF; set language to French')).toEqual(plan('add DTMF; set language to French'));
  });
});

describe('scope qualifiers', () => {
  const library = [
    scenario({ id: 1, name: 'Refund request', tags: ['billing', 'refunds'] }),
    scenario({ id: 2, name: 'Late fee dispute', tags: ['billing'], personality: 11, personality_name: 'Angry Customer', folder_path: 'Sales' }),
    scenario({ id: 3, name: 'Reembolso', tags: ['billing'], scenario_language: 'es', personality: 13, instructions: 'Pide un reembolso del invoice.' }),
    scenario({ id: 4, name: 'Upgrade', tags: ['sales'], agent: 2, agent_name: 'FlyRight Airline', folder_path: 'Sales.Inbound' }),
  ];
  const changed = (msg: string) => planImprovement(msg, library, ctx).suggestions.map((c) => c.scenario_id);

  it.each([
    ['add DTMF to only the refunds ones', [1], /tagged "refunds"/],
    ['tag the billing ones with urgent', [1, 2, 3], /tagged "billing"/],
    ['add DTMF to all except the Spanish ones', [1, 2, 4], /not in Spanish \(es\)/],
    ['set max duration to 3 minutes for the ones where the caller is angry', [2], /personality Angry Customer/],
    ['add tag vip to the scenarios in the Sales.Inbound folder', [4], /folder Sales\.Inbound/],
    ['only the Spanish ones: add DTMF', [3], /in Spanish/],
    ['add DTMF to the late fee ones', [2], /name mentions "late fee"/],
    ['add DTMF to the FlyRight Airline scenarios', [4], /agent FlyRight Airline/],
    ['for the scenarios mentioning invoice, add DTMF', [3], /mention "invoice"/],
  ])('%s → an exact filter the reply states', (msg, ids, says) => {
    const p = planImprovement(msg, library, ctx);
    expect(p.suggestions.map((c) => c.scenario_id)).toEqual(ids);
    expect(p.message).toMatch(says);
    expect(p.notDone).toEqual([]);
  });

  it('a tag given to the ones a qualifier picks is the tag alone, never the clause', () => {
    const p = planImprovement('tag the billing ones with urgent', library, ctx);
    expect(p.suggestions.map((c) => valuesOf(c).tags)).toEqual([
      ['billing', 'refunds', 'urgent'],
      ['billing', 'urgent'],
      ['billing', 'urgent'],
    ]);
  });

  it.each(['add DTMF to only the unicorn ones', 'add tag flaky to the ones that failed last week'])(
    '%s: a qualifier it cannot read declines the whole request',
    (msg) => {
      const p = planImprovement(msg, library, ctx);
      expect(p.suggestions).toEqual([]);
      expect(p.notDone).toEqual([{ part: msg, reason: expect.stringContaining('nothing was changed') }]);
      expect(p.understood).toBe(false);
    },
  );

  it('"them", "these" and "all" limit nothing', () => {
    expect(changed('add DTMF to all of them')).toEqual([1, 2, 3, 4]);
    expect(changed('add DTMF to these scenarios')).toEqual([1, 2, 3, 4]);
  });
});

describe('word orders and what is not done', () => {
  const beta = scenario({ tags: ['billing', 'beta'] });
  it.each(['remove the beta tag', 'remove tag beta', 'delete the "beta" tag', 'untag beta', 'remove beta from the tags', 'remove the tag beta'])(
    '%s',
    (msg) => {
      expect(fieldsOf(msg, beta)?.tags).toEqual(['billing']);
    },
  );

  it.each(['add tag vip', 'add the vip tag', 'add a tag called vip', 'tag them as vip', 'tag with vip', 'add the tag vip'])('%s', (msg) => {
    expect(fieldsOf(msg)?.tags).toEqual(['billing', 'vip']);
  });

  it('refuses a tag that is a clause, and takes it as written when quoted', () => {
    const p = plan('add tag for the angry callers');
    expect(p.suggestions).toEqual([]);
    expect(p.notDone[0]).toMatchObject({ part: 'add tag for the angry callers', reason: expect.stringContaining('not a tag') });
    expect(fieldsOf('add tag "for the win"')?.tags).toEqual(['billing', 'for the win']);
  });

  it('names what it cannot do in notDone and never says the scenarios already match', () => {
    const p = plan('make them shorter');
    expect(p.suggestions).toEqual([]);
    expect(p.notDone).toEqual([{ part: 'make them shorter', reason: expect.stringContaining('language model') }]);
    expect(p.message).not.toMatch(/already match/);
    const mixed = plan('add tag reviewed and make the caller more polite');
    expect(valuesOf(mixed.suggestions[0]!).tags).toEqual(['billing', 'reviewed']);
    expect(mixed.notDone.map((n) => n.part)).toEqual(['make the caller more polite']);
    expect(mixed.understood).toBe(false);
    expect(plan('add tag reviewed').understood).toBe(true);
  });

  it('a language change says the caller text was not translated', () => {
    const p = plan('switch these to German');
    expect(valuesOf(p.suggestions[0]!)).toEqual({ scenario_language: 'de' });
    expect(p.notDone).toEqual([{ part: "translate the caller's text into German", reason: expect.stringContaining('does not translate') }]);
  });

  it('edits conditional actions in place and declines what it cannot do to them', () => {
    const conditions = [
      { id: 0, condition: 'FIRST_MESSAGE', action: 'Hi.', type: 'standard', fixed_message: true },
      { id: 1, condition: 'The agent asks for the order', action: 'Give A-1.', type: 'standard', fixed_message: false },
    ];
    const ca = scenario({ scenario_type: 'conditional_actions', instructions: '', conditional_actions: { role: 'A buyer', conditions } });
    expect(fieldsOf('set the first message to "Hello there."', ca)).toEqual({
      first_message: 'Hello there.',
      conditional_actions: { role: 'A buyer', conditions: [{ ...conditions[0], action: 'Hello there.' }, conditions[1]] },
    });
    const p = plan('make the instructions more detailed', [ca]);
    expect(p.suggestions).toEqual([]);
    expect(p.notDone[0]?.reason).toMatch(/conditional-actions scenario/);
  });
});

describe('tags that look like words of a clause', () => {
  it('a hyphenated label is one tag, even with "the" inside it', () => {
    expect(fieldsOf('add tag held-from-the-cli')?.tags).toEqual(['billing', 'held-from-the-cli']);
    expect(plan('tag them').suggestions).toEqual([]);
  });
});
