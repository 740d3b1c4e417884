import { describe, expect, it } from 'vitest';
import {
  buildConditionalActions,
  buildInstructions,
  type InstructionSource,
  improveInstructions,
  instructionRequest,
  originalNotes,
} from '../src/agent/engines/offline/instructions.js';
import { ConditionalActionsSchema } from '../src/domain/scenario.js';

const source = (over: Partial<InstructionSource> = {}): InstructionSource => ({
  name: 'Refund request',
  instructions: 'Ask for a refund.',
  expected_outcome_prompt: 'A refund is opened.',
  information_fields: { order_id: 'A-1', date_of_birth: '1990-01-01' },
  tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF', 'TOOL_TRANSFER_CALL', 'TOOL_HOLD'],
  scenario_language: 'en',
  first_message: 'Hi, I need help with an order',
  personality_name: 'Normal Male',
  simulation_description: 'The parcel arrived damaged.',
  ...over,
});

describe('buildInstructions', () => {
  const text = buildInstructions(source(), {
    personality: { name: 'Angry Customer', description: 'Frustrated and short' },
    agent: { id: 1, name: 'Acme support', description: 'Answers billing questions.', language: 'en' },
  });

  it('has every section, drawn from the scenario itself', () => {
    expect(text).toContain('## Persona\nAngry Customer: Frustrated and short. Speak English.');
    expect(text).toContain('## Goal\nRefund request. The parcel arrived damaged. You are calling Acme support.');
    expect(text).toContain('## Opening line\n"Hi, I need help with an order"');
    expect(text).toContain('- order id: A-1\n- date of birth: 1990-01-01');
    expect(text).toContain('press the matching keypad digit');
    expect(text).toContain('accept and continue');
    expect(text).toContain('Hang up once your goal is met');
    expect(text).toContain('put on hold');
    expect(text).toContain('## Original notes:\nAsk for a refund.');
  });

  it('never shows the caller the expected outcome (the rubric) nor the agent description (its internals)', () => {
    expect(text).not.toContain('A refund is opened');
    expect(text).not.toContain('Answers billing questions');
    // Instructions written before this rule carried both; a rebuild does not keep those lines as notes.
    const old = `${text.replace('## Original notes:', '## The call succeeds when\nA refund is opened.\n\n## Original notes:')}`.replace(
      'You are calling Acme support.',
      'You are calling Acme support.\nAnswers billing questions.',
    );
    const rebuilt = buildInstructions(source({ instructions: old }), {
      agent: { id: 1, name: 'Acme support', description: 'Answers billing questions.', language: 'en' },
    });
    expect(rebuilt).not.toContain('A refund is opened');
    expect(rebuilt).not.toContain('Answers billing questions');
    expect(rebuilt).toContain('## Original notes:\nAsk for a refund.');
  });

  it('ends the persona line with one full stop even when the description has its own', () => {
    expect(buildInstructions(source(), { personality: { name: 'Calm', description: 'Answers directly.' } })).toContain(
      '## Persona\nCalm: Answers directly. Speak English.',
    );
  });

  it('is stable: rebuilding its own output gives the same text, never nesting sections', () => {
    const again = buildInstructions(source({ instructions: text }), {
      personality: { name: 'Angry Customer', description: 'Frustrated and short' },
      agent: { id: 1, name: 'Acme support', description: 'Answers billing questions.', language: 'en' },
    });
    expect(again).toBe(text);
  });

  it('keeps lines someone added to an earlier structured version', () => {
    const edited = text.replace('## Goal\n', '## Goal\nAlso ask whether the refund covers shipping.\n');
    expect(buildInstructions(source({ instructions: edited }))).toContain('Also ask whether the refund covers shipping.');
  });

  it.each([
    ['es', '## Objetivo'],
    ['fr', '## Objectif'],
    ['de', '## Ziel'],
    ['pt', '## Objetivo'],
    ['it', '## Obiettivo'],
    ['ja', '## Goal'],
  ])('headings in %s', (language, heading) => {
    expect(buildInstructions(source({ scenario_language: language }))).toContain(heading);
  });

  it('skips sections with nothing to say', () => {
    const bare = buildInstructions(source({ instructions: '', first_message: '', information_fields: {}, tool_ids: [], expected_outcome_prompt: '' }));
    expect(bare).toBe('## Persona\nNormal Male. Speak English.\n\n## Goal\nRefund request. The parcel arrived damaged.');
  });

  it('finds the user notes inside earlier output', () => {
    expect(originalNotes(text)).toBe('Ask for a refund.');
    expect(originalNotes('plain text')).toBe('plain text');
  });
});

describe('buildConditionalActions', () => {
  it('opens with the fixed first message, then one condition per information field, in the seed shape', () => {
    const ca = buildConditionalActions(source());
    expect(ConditionalActionsSchema.safeParse(ca).success).toBe(true);
    expect(ca.conditions).toEqual([
      { id: 0, condition: 'FIRST_MESSAGE', action: 'Hi, I need help with an order', type: 'standard', fixed_message: true },
      { id: 1, condition: 'The agent asks for your order id', action: 'Provide your order id: A-1', type: 'standard', fixed_message: false },
      { id: 2, condition: 'The agent asks for your date of birth', action: 'Provide your date of birth: 1990-01-01', type: 'standard', fixed_message: false },
    ]);
    expect(ca.role).toContain('Normal Male');
  });

  it('invents an opening when there is no first message', () => {
    expect(buildConditionalActions(source({ first_message: '' })).conditions[0]!.action).toBe("Hi, I'm calling about refund request.");
  });
});

describe('improveInstructions', () => {
  it('recognises the requests it can carry out', () => {
    expect(instructionRequest('more detailed')).toEqual({ kind: 'detail' });
    expect(instructionRequest('add: bring up the warranty')).toEqual({ kind: 'append', text: 'bring up the warranty' });
    expect(instructionRequest('mention the order id')).toEqual({ kind: 'mention', text: 'the order id' });
    expect(instructionRequest('be more concise')).toEqual({ kind: 'shorter' });
    expect(instructionRequest('make it funnier')).toBeNull();
  });

  it('more detailed: structured sections, original text kept', () => {
    const r = improveInstructions('Ask for a refund.', 'more detailed', source());
    expect(r.instructions).toMatch(/^## Persona/);
    expect(r.instructions).toContain('Ask for a refund.');
    expect(r.notDone).toEqual([]);
    expect(r.message).toContain('structured sections');
  });

  it('add: appends to plain text, and under the notes heading of structured text', () => {
    expect(improveInstructions('Ask for a refund.', 'add: Say the box was wet.', source()).instructions).toBe('Ask for a refund.\nSay the box was wet.');
    const structured = buildInstructions(source({ instructions: '' }));
    const r = improveInstructions(structured, 'add: Say the box was wet.', source({ instructions: structured }));
    expect(r.instructions.endsWith('## Original notes:\nSay the box was wet.')).toBe(true);
  });

  it('mention: uses the information field value when the phrase names one, once', () => {
    const r = improveInstructions('Ask for a refund.', 'mention the order id', source());
    expect(r.instructions).toBe('Ask for a refund.\nMention your order id (A-1) when it helps the agent.');
    expect(improveInstructions(r.instructions, 'mention the order id', source()).instructions).toBe(r.instructions);
    expect(improveInstructions('x', 'mention the weather', source()).instructions).toBe('x\nMention the weather.');
  });

  it('shorter: drops notes the sections already state, keeps the structure', () => {
    const structured = buildInstructions(source({ instructions: 'Hi, I need help with an order. Ask politely.' }));
    const r = improveInstructions(structured, 'shorter', source({ instructions: structured }));
    expect(r.instructions).toContain('## Persona');
    expect(r.instructions).toContain('## Original notes:\nAsk politely.');
    expect(r.instructions.length).toBeLessThan(structured.length);
    expect(improveInstructions(r.instructions, 'be more concise', source()).message).toContain('already as short');
  });

  it('shorter on free text, and anything else, changes nothing and says a model is needed', () => {
    const free = improveInstructions('Ask for a refund.', 'shorter', source());
    expect(free).toMatchObject({ instructions: 'Ask for a refund.', notDone: [{ part: 'shorter' }] });
    expect(free.message).toContain('language model');
    const other = improveInstructions('Ask for a refund.', 'make it funnier; add: be polite', source());
    expect(other.instructions).toBe('Ask for a refund.\nbe polite');
    expect(other.notDone.map((n) => n.part)).toEqual(['make it funnier']);
    expect(other.message).toContain('needs a language model');
  });
});
