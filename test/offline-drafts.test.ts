import { describe, expect, it } from 'vitest';
import type { ClarifyInput } from '../src/agent/engine.js';
import { type DraftInput, descriptionTopics, draftScenarios, topicsOf } from '../src/agent/engines/offline/drafts.js';
import { OfflineEngine } from '../src/agent/engines/offline-engine.js';
import { emptyUsage } from '../src/domain/jobs.js';
import { fieldValueErrors } from '../src/domain/scenario.js';
import { draftCountAskedFor } from '../src/domain/scenario-agent.js';

const personalities = [
  { id: 10, name: 'Normal Male', language: 'en', description: 'Calm' },
  { id: 11, name: 'Angry Customer', language: 'en', description: 'Frustrated' },
  { id: 13, name: 'Hablante', language: 'es', description: 'Habla español' },
];
const agent = {
  id: 1,
  name: 'Acme support',
  description: 'Acme support is a voice agent. It answers billing questions. Handles refunds for damaged goods.',
  language: 'en',
};
const FAQ = '# Refunds\nRefunds take 30 days.\n\n# Shipping\nWe ship in 2 days.\n\nQ: Can I cancel?\nA: Yes, any time.';
const draft = (over: Partial<DraftInput> = {}) => draftScenarios({ userMessage: '', numScenarios: 3, agent, knowledgeBase: [], personalities, ...over });

describe('finding topics', () => {
  it('reads Markdown headings, FAQ questions and labelled paragraphs', () => {
    expect(topicsOf(FAQ, 7).map((t) => t.title)).toEqual(['Refunds', 'Shipping', 'Can I cancel']);
    expect(topicsOf('Opening hours: open 9 to 5 on weekdays.\nReturns policy: within 30 days of delivery.', 2).map((t) => [t.title, t.files])).toEqual([
      ['Opening hours', [2]],
      ['Returns policy', [2]],
    ]);
  });

  it('falls back to paragraphs when the text has no structure', () => {
    expect(topicsOf('Our store sells garden furniture.\n\nDelivery is free over 50 euros.', 1).map((t) => t.title)).toEqual([
      'Our store sells garden furniture',
      'Delivery is free over 50 euros',
    ]);
  });

  it('takes the tasks a description names, not the sentences that only describe', () => {
    expect(descriptionTopics(agent.description, agent.name).map((t) => t.title)).toEqual(['billing questions', 'refunds for damaged goods']);
    expect(descriptionTopics('Acme support books appointments.', 'Acme support').map((t) => t.title)).toEqual(['appointments']);
  });
});

describe('the count a request states', () => {
  it('reads digits and words before "scenarios", and nothing vaguer', () => {
    expect(
      ['write three scenarios about refunds', 'Write 2 French scenarios', 'a couple of test cases', 'give me 12 new tests'].map(draftCountAskedFor),
    ).toEqual([3, 2, 2, 12]);
    expect(['write some scenarios', 'a few tests', 'scenarios for 3 topics', 'write 500 scenarios'].map(draftCountAskedFor)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('draftScenarios', () => {
  it('drafts one scenario per knowledge-base topic, citing the file, each a valid scenario', () => {
    const out = draft({ agent: { ...agent, description: '' }, knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] });
    expect(out.needsClarification).toBe(false);
    expect(out.drafts.map((d) => d.scenario.name)).toEqual(['Refunds: a first-time caller', 'Shipping: an angry caller', 'Can I cancel: a first-time caller']);
    // Each has its own measurable outcome, grounded in its passage.
    expect(out.drafts.map((d) => d.scenario.expected_outcome_prompt)).toEqual([
      expect.stringContaining('Refunds take 30 days'),
      expect.stringContaining('We ship in 2 days'),
      expect.stringContaining('Yes, any time'),
    ]);
    for (const d of out.drafts) {
      expect(d).toMatchObject({ sources: [7], scenario: { tags: ['generated'], tool_ids: ['TOOL_END_CALL'], scenario_language: 'en' } });
      // The caller is never told the answer the agent should give.
      expect(d.scenario.instructions).not.toContain(d.scenario.expected_outcome_prompt);
      expect(d.scenario.instructions).not.toMatch(/Refunds take 30 days|We ship in 2 days/);
      expect(d.scenario.instructions).toContain('## Persona');
      for (const field of [
        'name',
        'personality',
        'tags',
        'tool_ids',
        'first_message',
        'instructions',
        'expected_outcome_prompt',
        'scenario_language',
        'information_fields',
      ] as const) {
        expect(fieldValueErrors(field, d.scenario[field])).toEqual([]);
      }
    }
    expect(out.message).toContain('draft scenarios to review before applying');
  });

  it('chooses personalities round-robin among those in the agent language', () => {
    expect(draft({ knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] }).drafts.map((d) => d.scenario.personality)).toEqual([10, 11, 10]);
    const spanish = draft({ agent: { ...agent, language: 'es' }, knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] });
    expect(spanish.drafts.map((d) => [d.scenario.personality, d.scenario.scenario_language])).toEqual([
      [13, 'es'],
      [13, 'es'],
      [13, 'es'],
    ]);
  });

  it('uses topics named in the request first, and draws on the description when there is no knowledge base', () => {
    expect(draft({ userMessage: 'write scenarios about late fees, cancellations and upgrades' }).drafts.map((d) => d.scenario.name)).toEqual([
      'Late fees: a first-time caller',
      'Cancellations: an angry caller',
      'Upgrades: a first-time caller',
    ]);
    const fromDescription = draft();
    expect(fromDescription.drafts.map((d) => d.scenario.name)).toEqual([
      'Billing questions: a first-time caller',
      'Refunds for damaged goods: an angry caller',
    ]);
    expect(fromDescription.drafts.every((d) => d.sources.length === 0)).toBe(true);
  });

  it('drafts a subject the user named again with other callers, never padded with unrelated topics', () => {
    const out = draft({ userMessage: 'write three scenarios about refunds', knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] });
    expect(out.drafts.map((d) => d.scenario.name)).toEqual(['Refunds: a first-time caller', 'Refunds: an angry caller']);
    expect(new Set(out.drafts.map((d) => d.scenario.expected_outcome_prompt)).size).toBe(2);
    expect(out.notDone).toEqual([{ part: '1 more draft(s)', reason: expect.stringContaining('I do not pad them with unrelated topics') }]);
  });

  it('keeps the caller a subject names, and does not vary it', () => {
    const out = draft({ userMessage: 'scenarios where an angry customer wants a refund', numScenarios: 2 });
    expect(out.drafts.map((d) => [d.scenario.name, d.scenario.personality])).toEqual([['An angry customer wants a refund: an angry caller', 11]]);
    expect(out.notDone[0]).toMatchObject({ part: '1 more draft(s)' });
  });

  it('drafts what exists when fewer topics than requested, and says so', () => {
    const out = draft({ numScenarios: 5 });
    expect(out.drafts).toHaveLength(2);
    expect(out.notDone).toEqual([{ part: '3 more draft(s)', reason: expect.stringContaining('I found only 2 distinct situation(s)') }]);
  });

  it('keeps within 1–20 drafts and names within 80 characters', () => {
    const text = Array.from({ length: 30 }, (_, i) => `# Topic number ${i} ${'with a very long heading '.repeat(4)}\nDetails.`).join('\n');
    const out = draft({ numScenarios: 50, knowledgeBase: [{ id: 1, file_name: 'big.md', text }] });
    expect(out.drafts).toHaveLength(20);
    expect(out.drafts.every((d) => d.scenario.name.length <= 80)).toBe(true);
    expect(draft({ numScenarios: 0 }).drafts).toHaveLength(1);
  });

  it('asks 2–3 concrete questions when there is nothing to draw on', () => {
    const vague = draft({ userMessage: 'make some tests', agent: null });
    expect(vague).toMatchObject({ needsClarification: true, drafts: [] });
    expect(vague.questions.length).toBeGreaterThanOrEqual(2);
    expect(vague.questions.length).toBeLessThanOrEqual(3);
    expect(vague.questions.join(' ')).toMatch(/agent.*do/i);
    expect(vague.questions.join(' ')).toMatch(/language/i);
  });

  it('uses answers as extra description, including the language they name', () => {
    const out = draft({ userMessage: 'make some tests', agent: null, numScenarios: 2, answers: ['It books dental appointments', 'Spanish'] });
    expect(out.needsClarification).toBe(false);
    expect(out.drafts.map((d) => [d.scenario.name, d.scenario.scenario_language, d.scenario.personality])).toEqual([
      ['Dental appointments: a first-time caller', 'es', 13],
    ]);
    expect(out.notDone.map((n) => n.part)).toEqual(['1 more draft(s)', 'write the drafts in Spanish']);
  });

  it('reads a reply to several questions one line at a time', () => {
    const out = draft({ userMessage: 'Billing disputes\ncancellations and refunds\nSpanish', agent: null, numScenarios: 5 });
    expect(out.drafts.map((d) => [d.scenario.name, d.scenario.scenario_language])).toEqual([
      ['Billing disputes: a first-time caller', 'es'],
      ['Cancellations: a first-time caller', 'es'],
      ['Refunds: a first-time caller', 'es'],
    ]);
  });

  it('reads the language asked anywhere in a turn, and uses every answer given', () => {
    const out = draft({
      userMessage: 'German callers; cover refunds and shipping',
      numScenarios: 2,
      answers: ['write scenarios'],
      knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }],
      personalities: [...personalities, { id: 14, name: 'German Speaker', language: 'de', description: 'Spricht Deutsch' }],
    });
    expect(out.drafts.map((d) => [d.scenario.name, d.scenario.scenario_language, d.scenario.personality, d.sources])).toEqual([
      ['Refunds: a German-speaking caller', 'de', 14, [7]],
      ['Shipping: a German-speaking caller', 'de', 14, [7]],
    ]);
    expect(out.notDone).toEqual([{ part: 'write the drafts in German', reason: expect.stringContaining('does not translate') }]);
  });

  it('never repeats a scenario the agent already has, and says which it left out', () => {
    const out = draft({
      numScenarios: 3,
      agent: { ...agent, description: '' },
      knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }],
      existing: [{ name: 'Refund request', summary: 'Asks for a refund.' }],
    });
    expect(out.drafts.map((d) => d.scenario.name)).toEqual(['Shipping: a first-time caller', 'Can I cancel: an angry caller']);
    expect(out.message).toContain('Left out because the agent already has them: "Refund request"');
    expect(out.notDone[0]).toMatchObject({ part: '1 more draft(s)' });
  });

  it('gives callers synthetic, plausible personal data', () => {
    const out = draft({ knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] });
    expect(out.drafts[0]!.scenario.information_fields).toEqual({ caller_name: 'Jordan Ellis', phone_number: '+1 555 0110' });
  });

  it('explains instead of failing when there is no personality at all', () => {
    const out = draft({ personalities: [] });
    expect(out).toMatchObject({ needsClarification: false, drafts: [] });
    expect(out.message).toContain('personality');
  });

  it('is deterministic', () => {
    expect(draft({ knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] })).toEqual(
      draft({ knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] }),
    );
  });
});

describe('the offline engine reporting drafts as it goes', () => {
  const context = { agent, personalities, folders: [], tools: [], knowledgeBase: [{ id: 7, file_name: 'faq.md', text: FAQ }] };
  const input = (over: Partial<ClarifyInput> = {}): ClarifyInput => ({
    userMessage: '',
    history: [],
    numScenarios: 3,
    context,
    answers: [],
    signal: new AbortController().signal,
    ...over,
  });

  it('reports each draft as a round of its own, and answers them all', async () => {
    const seen: string[][] = [];
    const out = await new OfflineEngine().clarify(input({ onRound: async (r) => void seen.push(r.drafts.map((d) => d.scenario.name)) }));
    const names = out.drafts.map((d) => d.scenario.name);
    expect(names).toHaveLength(3);
    expect(seen).toEqual(names.map((n) => [n]));
  });

  it('carries on after drafts kept from an earlier claim, reporting only the rest', async () => {
    const all = await new OfflineEngine().clarify(input());
    const seen: number[] = [];
    const kept = all.drafts.slice(0, 2).map((d) => ({ ...d, reason: 'kept' }));
    const rounds = kept.map((d) => ({ drafts: [d], message: '', notDone: [], usage: emptyUsage() }));
    const out = await new OfflineEngine().clarify(input({ rounds, onRound: async (r) => void seen.push(r.drafts.length) }));
    expect(out.drafts.slice(0, 2)).toEqual(kept);
    expect(out.drafts[2]).toEqual(all.drafts[2]);
    expect(seen).toEqual([1]);
  });
});
