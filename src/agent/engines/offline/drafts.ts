import { resolveLanguage } from '../../../domain/languages.js';
import { NAME_MAX } from '../../../domain/scenario.js';
import { buildInstructions } from './instructions.js';
import type { Draft } from '../../../domain/suggestion.js';
import type { ClarifyOutput, PlannerContext } from '../../engine.js';

export interface DraftInput {
  userMessage: string;
  numScenarios: number;
  agent: PlannerContext['agent'];
  knowledgeBase: PlannerContext['knowledgeBase'];
  personalities: PlannerContext['personalities'];
  answers?: string[];
}

interface Topic {
  title: string;
  detail: string;
  files: number[];
}

const clean = (t: string) => t.replace(/[*_`#>]+/g, '').replace(/\s+/g, ' ').trim();

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
    const next = lines.slice(i + 1, i + 4).filter((l) => l.trim() && !/^#{1,6}\s/.test(l)).join(' ');
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
const TASK_VERBS = new Set(['answer', 'handle', 'book', 'help', 'schedule', 'process', 'take', 'manage', 'provide', 'support', 'resolve', 'explain', 'collect', 'verify', 'assist', 'transfer', 'track', 'cancel', 'reschedule', 'sell', 'qualify', 'confirm', 'update', 'check', 'report', 'file', 'renew']);

/**
 * What the agent does, from its description: one topic per sentence that names a task ("Handles
 * refunds for damaged goods" → "refunds for damaged goods"); sentences that only describe are skipped.
 */
export function descriptionTopics(description: string, agentName = ''): Topic[] {
  const named = agentName.trim() ? new RegExp(`^${agentName.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+`, 'i') : null;
  return description
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim().replace(/^[-*•]\s*/, '').replace(/[.!?]+$/, ''))
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

const REQUEST_LEAD = /^(?:please\s+)?(?:make|create|generate|write|draft|add|give me|i need|i want)?\s*(?:\d+|some|a few|several|more)?\s*(?:new\s+)?(?:test\s+)?(?:tests?|scenarios?|cases?|calls?)?\s*(?:for|about|on|covering|where|in which|with)?\s*/i;

/** Topics a request or an answer names directly: "scenarios about refunds, cancellations and late fees". */
function requestTopics(text: string): Topic[] {
  const rest = text.trim().replace(/[.!?]+$/, '').replace(REQUEST_LEAD, '').trim();
  if (rest.length < 3) return [];
  const items = rest.split(/\s*,\s*|\s+and\s+|\s*;\s*/).map((x) => x.trim()).filter((x) => x.length >= 3);
  // A list of short items is several topics; a longer sentence is one.
  const list = items.length > 1 && items.every((x) => x.split(/\s+/).length <= 6);
  return (list ? items : [rest]).map((title) => ({ title, detail: text.trim(), files: [] }));
}

function distinct(topics: Topic[]): Topic[] {
  const seen = new Set<string>();
  return topics.filter((t) => {
    const key = t.title.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const VAGUE = /^(?:please\s+)?(?:make|create|generate|write|draft|give me|add)?\s*(?:some|a few|several|more|new|\d+)?\s*(?:new\s+)?(?:good\s+)?(?:tests?|scenarios?|evaluators?|cases?)?\s*(?:please)?[.!]?$/i;

/** The language a reply names on its own ("Spanish", "in German."), if that is all it says. */
const spokenLanguage = (text: string) => resolveLanguage(text.replace(/[.!]+$/, '').replace(/^(?:in\s+)?/i, ''));

const QUESTIONS = [
  'What does the agent under test do (its purpose, and who calls it)?',
  'Which situations should the scenarios cover, e.g. billing disputes, cancellations, angry callers?',
  'Which language should the callers speak?',
];

/**
 * The offline engine's clarify step: one draft per distinct topic found in the request, the
 * knowledge base and the agent's description; questions instead when there is nothing to draw on.
 */
export function draftScenarios(input: DraftInput): ClarifyOutput {
  const wanted = Number.isFinite(input.numScenarios) ? Math.max(1, Math.min(20, Math.trunc(input.numScenarios))) : 1;
  let language = resolveLanguage(input.agent?.language ?? '') ?? 'en';
  const fromAnswers: Topic[] = [];
  for (const answer of (input.answers ?? []).map((a) => a.trim()).filter(Boolean)) {
    const spoken = spokenLanguage(answer);
    if (spoken) language = spoken;
    else fromAnswers.push(...(descriptionTopics(answer).length ? descriptionTopics(answer) : requestTopics(answer)));
  }
  // Each line of the request on its own: a reply to several questions comes as one answer per line.
  const fromRequest: Topic[] = [];
  for (const line of input.userMessage.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const spoken = spokenLanguage(line);
    if (spoken) language = spoken;
    else if (!VAGUE.test(line)) fromRequest.push(...requestTopics(line));
  }
  const fromKb = input.knowledgeBase.flatMap((f) => topicsOf(f.text, f.id));
  const fromDescription = descriptionTopics(input.agent?.description ?? '', input.agent?.name);
  const topics = distinct([...fromRequest, ...fromAnswers, ...fromKb, ...fromDescription]);

  if (!topics.length) {
    return { message: 'I need a little more to draft useful scenarios.', needsClarification: true, questions: QUESTIONS, drafts: [] };
  }
  const pool = input.personalities.filter((p) => p.language === language);
  const personas = pool.length ? pool : input.personalities;
  if (!personas.length) {
    return { message: 'There is no personality to give the callers; create one first, then ask again.', needsClarification: false, questions: [], drafts: [] };
  }

  const drafts: Draft[] = topics.slice(0, wanted).map((topic, i) => {
    const persona = personas[i % personas.length]!;
    const subject = topic.title.slice(0, NAME_MAX);
    const name = `Caller asks about ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`.slice(0, NAME_MAX).trim();
    const expected = `The agent explains ${subject.toLowerCase()} correctly and completely, without inventing details, and confirms the caller has what they need.`;
    const base = {
      name,
      personality_name: persona.name,
      scenario_language: language,
      tags: ['generated'],
      tool_ids: ['TOOL_END_CALL'],
      first_message: '',
      expected_outcome_prompt: expected,
      information_fields: {},
      instructions: `Ask about ${topic.title}.${topic.detail && topic.detail !== topic.title ? ` Context: ${topic.detail}` : ''}`,
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
      information_fields: {},
    };
    return { scenario, reason: `Tests how the agent handles ${topic.title}.`, sources: topic.files };
  });
  const short = drafts.length < wanted ? ` I found only ${drafts.length} distinct topic${drafts.length === 1 ? '' : 's'}, fewer than the ${wanted} you asked for; add knowledge-base files or describe more situations for more.` : '';
  const plural = drafts.length === 1 ? 'draft scenario' : 'draft scenarios';
  return {
    message: `Here ${drafts.length === 1 ? 'is' : 'are'} ${drafts.length} ${plural} to review before applying; nothing is saved until you apply them.${short}`,
    needsClarification: false,
    questions: [],
    drafts,
  };
}
