import { languageAskedFor, languageName, resolveLanguage } from '../../../domain/languages.js';
import { escapeRegExp } from '../../../domain/regexp.js';
import { NAME_MAX } from '../../../domain/scenario.js';
import type { Draft, NotDone } from '../../../domain/suggestion.js';
import type { ClarifyOutput, PlannerContext } from '../../engine.js';
import { withoutCourtesy } from './courtesy.js';
import { buildInstructions } from './instructions.js';

export interface DraftInput {
  userMessage: string;
  numScenarios: number;
  agent: PlannerContext['agent'];
  knowledgeBase: PlannerContext['knowledgeBase'];
  personalities: PlannerContext['personalities'];
  answers?: string[];
  /** The agent's existing scenarios: a draft never repeats one. */
  existing?: PlannerContext['existingScenarios'];
}

interface Topic {
  title: string;
  detail: string;
  files: number[];
  /** Named by the user ("scenarios about lost baggage"): more drafts of it vary the caller, never the subject. */
  asked?: boolean;
}

const clean = (t: string) =>
  t
    .replace(/[*_`#>]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** Distinct topics of a text: Markdown headings, FAQ questions, "Label: text" lines, else paragraphs. */
export function topicsOf(text: string, fileId: number | null): Topic[] {
  const files = fileId === null ? [] : [fileId];
  const lines = text.split(/\r?\n/);
  const topics: Topic[] = [];
  const push = (title: string, detail: string) => {
    const t = clean(title).replace(/[?:.]+$/, '');
    if (t.length >= 3) topics.push({ title: t, detail: clean(detail).slice(0, 500), files });
  };
  lines.forEach((line, i) => {
    const next = lines
      .slice(i + 1, i + 4)
      .filter((l) => l.trim() && !/^#{1,6}\s/.test(l))
      .join(' ');
    const heading = /^#{1,6}\s+(.+)$/.exec(line);
    const question = /^\s*(?:Q:|Q\.|Question:)\s*(.+)$/i.exec(line) ?? /^\s*[-*]?\s*(.{8,120}\?)\s*$/.exec(line);
    const label = /^\s*[-*]?\s*([A-Z][\w '&/-]{2,40}):\s+(.{10,})$/.exec(line);
    if (heading) push(heading[1]!, next);
    else if (question) push(question[1]!, next.replace(/^\s*A:\s*/i, ''));
    else if (label) push(label[1]!, label[2]!);
  });
  if (!topics.length) {
    for (const para of text.split(/\n\s*\n/)) {
      const first = /^[^.!?\n]{8,120}[.!?]?/.exec(para.trim())?.[0];
      if (first) push(first, para);
    }
  }
  return topics;
}

const SUBJECT = /^(?:it|he|she|we|they|the (?:agent|assistant|bot)|this (?:agent|assistant|bot)|our (?:agent|assistant|bot))\s+/i;
const VERB = /^(?:also\s+|can\s+|will\s+)?([a-z]+)\s+(.+)$/i;
const NOT_TASKS = new Set(['is', 'was', 'has', 'does', 'uses', 'runs', 'lives', 'belongs', 'works', 'means']);
const TASK_VERBS = new Set([
  'answer',
  'handle',
  'book',
  'help',
  'schedule',
  'process',
  'take',
  'manage',
  'provide',
  'support',
  'resolve',
  'explain',
  'collect',
  'verify',
  'assist',
  'transfer',
  'track',
  'cancel',
  'reschedule',
  'sell',
  'qualify',
  'confirm',
  'update',
  'check',
  'report',
  'file',
  'renew',
]);

/**
 * What the agent does, from its description: one topic per sentence that names a task ("Handles
 * refunds for damaged goods" → "refunds for damaged goods"); sentences that only describe are skipped.
 */
export function descriptionTopics(description: string, agentName = ''): Topic[] {
  const named = agentName.trim() ? new RegExp(`^${escapeRegExp(agentName.trim())}\\s+`, 'i') : null;
  return description
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) =>
      s
        .trim()
        .replace(/^[-*•]\s*/, '')
        .replace(/[.!?]+$/, ''),
    )
    .flatMap((sentence) => {
      const rest = sentence.replace(SUBJECT, '').replace(named ?? /^$/, '');
      const m = VERB.exec(rest);
      if (!m) return [];
      const verb = m[1]!.toLowerCase();
      const base = verb.endsWith('es') && TASK_VERBS.has(verb.slice(0, -2)) ? verb.slice(0, -2) : verb.endsWith('s') ? verb.slice(0, -1) : verb;
      if (NOT_TASKS.has(verb) || !(TASK_VERBS.has(base) || (verb.endsWith('s') && verb.length > 3))) return [];
      const topic = m[2]!.replace(/^(?:callers?|customers?|users?|people|clients?|patients?)\s+(?:with|to|who)?\s*/i, '').trim();
      return topic.length >= 3 ? [{ title: topic, detail: sentence, files: [] }] : [];
    });
}

const COUNT_WORDS = '\\d+|some|a few|a couple(?: of)?|several|more|one|two|three|four|five|six|seven|eight|nine|ten|a dozen';
const REQUEST_LEAD = new RegExp(
  `^(?:please\\s+)?(?:make|create|generate|write|draft|add|give me|(?:i\\s+)?need|i want|i(?:'d| would) like|cover|covering|include|test)?\\s*(?:${COUNT_WORDS})?\\s*(?:new\\s+)?(?:test\\s+)?(?:tests?|scenarios?|cases?|calls?)?\\s*(?:for|about|on|covering|cover|where|in which|with|that test|testing)?\\s*`,
  'i',
);

/** Topics a request or an answer names directly: "scenarios about refunds, cancellations and late fees". */
/** Words that lead into a topic without being part of it: "mostly about", "for: …", "the". */
const TOPIC_LEAD =
  /^(?:[:\-–]\s*)?(?:(?:now|also|and|then)\s+)?(?:(?:mostly|mainly|only|just|especially|primarily)\s+)?(?:(?:cover|covering|about|include|including|on|for|regarding|around|where|in which)\s+)?(?:[:\-–]\s*)?(?:the\s+)?/i;

function requestTopics(text: string): Topic[] {
  const rest = text
    .trim()
    .replace(/[.!?,;:]+$/, '')
    .replace(REQUEST_LEAD, '')
    .replace(TOPIC_LEAD, '')
    .trim();
  if (rest.length < 3) return [];
  const items = rest
    .split(/\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s*;\s*/)
    .map((x) => x.trim().replace(TOPIC_LEAD, ''))
    .filter((x) => x.length >= 3);
  // A list of short items is several topics; a longer sentence is one.
  const longest = /,|;/.test(rest) ? 10 : 6;
  const list = items.length > 1 && items.every((x) => x.split(/\s+/).length <= longest);
  return (list ? items : [rest]).map((title) => ({ title, detail: '', files: [], asked: true }));
}

const STOP = new Set([
  'a',
  'an',
  'the',
  'of',
  'for',
  'to',
  'and',
  'or',
  'in',
  'on',
  'with',
  'about',
  'caller',
  'callers',
  'asks',
  'ask',
  'their',
  'your',
  'my',
  'his',
  'her',
  'new',
]);
/** Content words, cut to a stem so "refunds"/"refund" and "changing"/"change" meet. */
const stems = (t: string) =>
  t
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 && !STOP.has(w))
    .map((w) => (w.length > 4 ? w.slice(0, 5) : w.replace(/s$/, '')));

/** How much of a topic's words another text shares (0–1). */
function overlap(topic: string, other: string): number {
  const a = stems(topic);
  if (!a.length) return 0;
  const b = new Set(stems(other));
  return a.filter((w) => b.has(w)).length / a.length;
}

function distinct(topics: Topic[]): Topic[] {
  const seen = new Set<string>();
  return topics.filter((t) => {
    const key = stems(t.title).join(' ');
    if (!key || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const VAGUE =
  /^(?:please\s+)?(?:make|create|generate|write|draft|give me|add)?\s*(?:some|a few|several|more|new|\d+)?\s*(?:new\s+)?(?:good\s+)?(?:test\s+)?(?:tests?|scenarios?|evaluators?|cases?)?\s*(?:please)?[.!]?$/i;

/** "Cover the FAQ", "from the knowledge base": a pointer to the knowledge base, whose topics are the situations. */
const KNOWLEDGE_POINTER =
  /^(?:cover|use|from|based on|using)?\s*(?:the|our|its|my)?\s*(?:faqs?|knowledge[- ]base|kb|docs?|documents?|documentation|files?|help (?:pages?|centre|center))$/i;

const QUESTIONS = [
  'What does the agent under test do (its purpose, and who calls it)?',
  'Which situations should the scenarios cover, e.g. billing disputes, cancellations, angry callers?',
  'Which language should the callers speak?',
];

/** Description sentences that state internal policy: never a topic, since its words would reach the caller. */
const POLICY = /\b(?:internal|policy|never|do not|don't|only after|unless|must not|confidential)\b/i;

/** Who the caller is, from the personality: what makes each draft a different situation. */
function situation(persona: { name: string; description: string }): string {
  const n = persona.name.toLowerCase();
  if (/angry|frustrat/.test(n)) return 'an angry caller';
  if (/impatient|hurry/.test(n)) return 'a caller in a hurry';
  if (/confused|elderly/.test(n)) return 'a confused caller';
  if (/non-native/.test(n)) return 'a non-native speaker';
  if (/speaker/.test(n)) return `a ${persona.name.replace(/\s*speaker$/i, '')}-speaking caller`;
  return 'a first-time caller';
}

/** Caller traits a subject can name, and the personality names that carry them. */
const CALLER_TRAITS: Array<[RegExp, RegExp]> = [
  [/\b(?:angry|frustrated|upset|furious|annoyed|irate)\b/i, /angry|frustrat/i],
  [/\b(?:impatient|in a hurry|rushed|hurried)\b/i, /impatient|hurry/i],
  [/\b(?:confused|elderly|older|senior)\b/i, /confused|elderly/i],
  [/\bnon-native\b/i, /non-native/i],
];

/** What the agent must get right with this caller: it makes each situation's outcome its own. */
function handling(persona: { name: string; description: string }): string {
  const who = situation(persona);
  if (who === 'an angry caller') return 'With an angry caller it stays calm and acknowledges the frustration before solving the problem.';
  if (who === 'a caller in a hurry') return 'With a caller in a hurry it gives the answer first and keeps the call short.';
  if (who === 'a confused caller') return 'With a confused caller it repeats the key details slowly and checks they were understood.';
  if (who === 'a non-native speaker') return 'With a non-native speaker it uses short, simple sentences.';
  if (who === 'a first-time caller') return 'With a first-time caller it explains each step it takes.';
  return `With ${who} it keeps to the caller's language throughout.`;
}

// Plausible but fictional personal data: names from a fixed list, numbers in the 555-01xx range set aside for fiction.
const SYNTHETIC_NAMES = [
  'Jordan Ellis',
  'Priya Nair',
  'Marco Silva',
  'Hannah Berg',
  'Kenji Mori',
  'Ana Torres',
  'Samuel Okafor',
  'Lea Dubois',
  'Tomás Ruiz',
  'Ingrid Larsen',
];
const syntheticCaller = (i: number) => ({
  caller_name: SYNTHETIC_NAMES[i % SYNTHETIC_NAMES.length]!,
  phone_number: `+1 555 01${String(10 + (i % 90)).padStart(2, '0')}`,
});

const capitalise = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
const firstSentence = (t: string) => /^.*?[.!?](?=\s|$)/.exec(t.trim())?.[0] ?? t.trim();

/** The knowledge-base passage a topic is about, if any: the one sharing most of its words. */
function passageFor(topic: Topic, kb: Topic[]): Topic | undefined {
  if (topic.files.length) return topic;
  let best: Topic | undefined;
  let score = 0;
  for (const p of kb) {
    const s = Math.max(overlap(topic.title, p.title), overlap(topic.title, `${p.title} ${p.detail}`) * 0.9);
    if (s > score) [best, score] = [p, s];
  }
  return score >= 0.5 ? best : undefined;
}

/**
 * The offline engine's clarify step: one draft per situation the request names (then, to reach the
 * number asked, the knowledge base and the agent's description, said so), each named for what it
 * tests, with its own measurable expected outcome grounded in a knowledge-base passage where there
 * is one, in the language asked, never repeating an existing scenario of the agent. Questions
 * instead when there is nothing to draw on.
 */
export function draftScenarios(input: DraftInput): ClarifyOutput & { notDone: NotDone[] } {
  const wanted = Number.isFinite(input.numScenarios) ? Math.max(1, Math.min(20, Math.trunc(input.numScenarios))) : 1;
  let language = resolveLanguage(input.agent?.language ?? '') ?? 'en';
  // Every turn the user wrote counts: the request and each answer to a question, oldest first.
  const asked: Topic[] = [];
  for (const turn of [...(input.answers ?? []), input.userMessage]) {
    for (const raw of turn
      .split(/\r?\n|;/)
      .map((l) => withoutCourtesy(l))
      .filter(Boolean)) {
      const lang = languageAskedFor(raw);
      if (lang) language = lang.code;
      const line = lang ? raw.replace(lang.phrase, ' ').replace(/\s+/g, ' ').trim() : raw;
      if (
        line &&
        !VAGUE.test(line) &&
        !KNOWLEDGE_POINTER.test(
          line
            .replace(REQUEST_LEAD, '')
            .replace(/[.!]+$/, '')
            .trim(),
        )
      )
        asked.push(...(SUBJECT.test(line) && descriptionTopics(line).length && !/,|\band\b/.test(line) ? descriptionTopics(line) : requestTopics(line)));
    }
  }
  const kbTopics = input.knowledgeBase.flatMap((f) => topicsOf(f.text, f.id));
  const description = (input.agent?.description ?? '')
    .split(/(?<=[.!?])\s+/)
    .filter((s) => !POLICY.test(s))
    .join(' ');
  const existing = input.existing ?? [];
  const duplicateOf = (t: Topic) => existing.find((e) => overlap(t.title, e.name) >= 1);
  const requested = distinct(asked);
  // Filling up to the number asked never repeats an existing scenario; a topic the user named is drafted anyway, as a new situation.
  const fill = distinct([...kbTopics, ...descriptionTopics(description, input.agent?.name)]).filter(
    (t) => !requested.some((r) => overlap(r.title, t.title) >= 0.5),
  );
  const skipped = fill.filter((t) => duplicateOf(t));
  const topics = [...requested, ...fill.filter((t) => !duplicateOf(t))];

  if (!topics.length) {
    if (skipped.length) {
      const notDone = [
        {
          part: `draft ${wanted} new scenario(s)`,
          reason: `Every situation the knowledge base and the agent's description give is already tested (${skipped.map((t) => `"${duplicateOf(t)!.name}"`).join(', ')}); say which new situations to cover.`,
        },
      ];
      return { message: notDone[0]!.reason, needsClarification: true, questions: QUESTIONS.slice(1, 2), drafts: [], notDone };
    }
    return { message: 'I need a little more to draft useful scenarios.', needsClarification: true, questions: QUESTIONS, drafts: [], notDone: [] };
  }
  const pool = input.personalities.filter((p) => p.language === language);
  const personas = pool.length ? pool : input.personalities;
  if (!personas.length) {
    return {
      message: 'There is no personality to give the callers; create one first, then ask again.',
      needsClarification: false,
      questions: [],
      drafts: [],
      notDone: [{ part: 'draft scenarios', reason: 'The project has no personality to give the callers; create one first.' }],
    };
  }

  // Who calls about what: each topic with its own caller. A subject the user named is drafted again
  // with other callers (a different situation each), never padded with unrelated topics; without
  // one, the knowledge base and the agent's description give the topics.
  const named = requested.filter((t) => t.asked);
  // A subject that already says who calls ("an angry passenger wants to rebook") keeps that caller, and is not varied.
  const traitOf = (t: Topic) => CALLER_TRAITS.find(([words]) => words.test(t.title))?.[1];
  const callerFor = (t: Topic, i: number) => {
    const trait = traitOf(t);
    return (trait && personas.find((p) => trait.test(p.name))) || personas[i % personas.length]!;
  };
  const plan = (named.length ? requested : topics).slice(0, wanted).map((topic, i) => ({ topic, persona: callerFor(topic, i) }));
  const callers = new Map<Topic, Set<string>>();
  for (const p of plan) callers.set(p.topic, (callers.get(p.topic) ?? new Set()).add(situation(p.persona)));
  for (let round = 1, added = true; named.length && added && plan.length < wanted; round++) {
    added = false;
    named.forEach((topic, j) => {
      if (traitOf(topic)) return;
      const seen = callers.get(topic) ?? new Set<string>();
      const persona = personas.map((_, k) => personas[(j + round + k) % personas.length]!).find((p) => !seen.has(situation(p)));
      if (plan.length >= wanted || !persona) return;
      plan.push({ topic, persona });
      callers.set(topic, seen.add(situation(persona)));
      added = true;
    });
  }

  const names = new Set(existing.map((e) => e.name.toLowerCase()));
  const drafts: Draft[] = plan.map(({ topic, persona }, i) => {
    const passage = passageFor(topic, kbTopics);
    const subject = topic.title.replace(/\s+/g, ' ').trim();
    let name = `${capitalise(subject)}: ${situation(persona)}`.slice(0, NAME_MAX).trim();
    for (let n = 2; names.has(name.toLowerCase()); n++) name = `${capitalise(subject).slice(0, NAME_MAX - 6)} (${n})`;
    names.add(name.toLowerCase());
    const fact = passage?.detail ? firstSentence(passage.detail) : '';
    // Grader-facing: what the agent must get right, measurable against the passage where there is one.
    const expected = `${
      fact
        ? `The agent answers the caller's question about ${subject.toLowerCase()} in line with the knowledge base ("${passage!.title}"): ${fact.replace(/\.$/, '')}. It invents no other terms and confirms the caller's next step before the call ends.`
        : `The agent works out that the caller needs help with ${subject.toLowerCase()}, gives one concrete next step for it without inventing policy details, and confirms the caller understood before the call ends.`
    } ${handling(persona)}`;
    const info = syntheticCaller(i);
    const base = {
      name,
      personality_name: persona.name,
      scenario_language: language,
      tags: ['generated'],
      tool_ids: ['TOOL_END_CALL'],
      first_message: '',
      expected_outcome_prompt: expected,
      information_fields: info,
      // Caller-facing: the situation only; the caller is never told the answer the agent should give.
      instructions: `You need help with ${subject.toLowerCase()}. Explain your situation in your own words, answer the agent's questions, and ask what happens next.`,
    };
    const scenario = {
      name,
      personality: persona.id,
      scenario_language: language as Draft['scenario']['scenario_language'],
      tags: base.tags,
      tool_ids: base.tool_ids,
      first_message: base.first_message,
      instructions: buildInstructions(base, { agent: input.agent, personality: persona }),
      expected_outcome_prompt: expected,
      information_fields: info,
    };
    const why = passage
      ? `Tests how the agent handles ${subject.toLowerCase()} with ${situation(persona)}, against the knowledge base's "${passage.title}".`
      : `Tests how the agent handles ${subject.toLowerCase()} with ${situation(persona)}.`;
    return { scenario, reason: why, sources: passage ? [...new Set(passage.files)] : [] };
  });

  const notDone: NotDone[] = [];
  const lines: string[] = [];
  const plural = drafts.length === 1 ? 'draft scenario' : 'draft scenarios';
  lines.push(`Here ${drafts.length === 1 ? 'is' : 'are'} ${drafts.length} ${plural} to review before applying; nothing is saved until you apply them.`);
  const fromRequest = named.length ? plan.filter((p) => named.includes(p.topic)).length : Math.min(requested.length, drafts.length);
  if (named.length && fromRequest > named.length)
    lines.push(
      `To reach ${wanted}, what you asked for is drafted again with other callers (${plan
        .slice(named.length, fromRequest)
        .map((p) => situation(p.persona))
        .join(', ')}).`,
    );
  if (requested.length && drafts.length > fromRequest) {
    const files = [...new Set(drafts.slice(fromRequest).flatMap((d) => d.sources))]
      .map((id) => input.knowledgeBase.find((f) => f.id === id)?.file_name)
      .filter(Boolean);
    lines.push(
      `${fromRequest} cover what you asked for; to reach ${wanted}, ${drafts.length - fromRequest} more come from ${files.length ? `the knowledge base (${files.join(', ')})` : "the agent's description"}.`,
    );
  }
  if (requested.length > wanted)
    notDone.push({
      part: requested
        .slice(wanted)
        .map((t) => t.title)
        .join(', '),
      reason: `You asked for ${wanted} scenario(s); these topics did not fit. Ask for more scenarios to cover them.`,
    });
  if (skipped.length) lines.push(`Left out because the agent already has them: ${skipped.map((t) => `"${duplicateOf(t)!.name}"`).join(', ')}.`);
  if (drafts.length < wanted) {
    const reason = named.length
      ? `You named ${named.length} situation(s), and each is drafted with every caller that fits it; I do not pad them with unrelated topics. Name more situations, or ask without naming any to draw on the knowledge base.`
      : `I found only ${drafts.length} distinct situation(s) not already tested; add knowledge-base files or describe more situations for more.`;
    notDone.push({ part: `${wanted - drafts.length} more draft(s)`, reason });
  }
  const ungrounded = drafts.filter((d) => !d.sources.length).map((d) => d.scenario.name);
  if (ungrounded.length && input.knowledgeBase.length)
    lines.push(
      `No knowledge-base passage covers ${ungrounded.map((n) => `"${n}"`).join(', ')}; check their expected outcomes against the agent's real behaviour.`,
    );
  if (language !== 'en') {
    notDone.push({
      part: `write the drafts in ${languageName(language)}`,
      reason: `The drafts are set to ${languageName(language)} (${language}) with ${languageName(language)}-speaking personalities and headings, but the offline engine does not translate: their text is in English. Translate it before running, or configure a model (SCENARIST_MODEL).`,
    });
  }
  if (notDone.length) lines.push(`Not done:\n${notDone.map((n) => `- "${n.part}": ${n.reason}`).join('\n')}`);
  return { message: lines.join(' ').replace(' Not done:', '\n\nNot done:'), needsClarification: false, questions: [], drafts, notDone };
}
