import { NAME_MAX } from '../../../domain/scenario.js';
import { buildInstructions } from './instructions.js';
import type { DraftAnswer, DraftScenario, PlannerContext } from './types.js';

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

/** What the agent does, from its description: one topic per sentence that names a task. */
function descriptionTopics(description: string): Topic[] {
  return description
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 12)
    .map((s) => ({ title: s.replace(/[.!?]+$/, ''), detail: s, files: [] }));
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

const VAGUE = /^(?:please\s+)?(?:make|create|generate|write|give me)?\s*(?:some|a few|more|new)?\s*(?:tests?|scenarios?|evaluators?|cases?)?\s*(?:please)?[.!]?$/i;

/**
 * The offline engine's clarify step: one draft per distinct topic found in the knowledge base, the
 * request and the agent's description; questions instead when there is nothing to draw on.
 */
export function draftScenarios(input: DraftInput): DraftAnswer {
  const wanted = Math.max(1, Math.min(20, input.numScenarios));
  const extra = [input.userMessage, ...(input.answers ?? [])].map((t) => t.trim()).filter((t) => t && !VAGUE.test(t));
  const description = input.agent?.description?.trim() ?? '';
  const fromKb = input.knowledgeBase.flatMap((f) => topicsOf(f.text, f.id));
  const fromRequest = extra.flatMap((t) => descriptionTopics(t.length >= 12 ? t : `Calls about ${t}`));
  const topics = distinct([...fromRequest, ...fromKb, ...descriptionTopics(description)]);

  if (!topics.length) {
    return {
      message: 'I need a little more to draft useful scenarios.',
      needsClarification: true,
      questions: [
        'What does the agent under test do (its purpose, and who calls it)?',
        'Which situations should the scenarios cover, e.g. billing disputes, cancellations, angry callers?',
        'Which language should the callers speak?',
      ],
      drafts: [],
    };
  }

  const language = input.agent?.language ?? 'en';
  const pool = input.personalities.filter((p) => p.language === language);
  const personas = pool.length ? pool : input.personalities;
  const drafts: DraftScenario[] = topics.slice(0, wanted).map((topic, i) => {
    const persona = personas[i % personas.length]!;
    const name = `Caller asks about ${topic.title.charAt(0).toLowerCase()}${topic.title.slice(1)}`.slice(0, NAME_MAX).trim();
    const expected = `The agent handles the caller's question about ${topic.title.toLowerCase()} correctly and completely.`;
    const base = {
      name,
      personality: persona.id,
      personality_name: persona.name,
      scenario_language: language,
      tags: ['generated'],
      tool_ids: ['TOOL_END_CALL'],
      first_message: '',
      expected_outcome_prompt: expected,
      information_fields: {},
      instructions: `Ask about ${topic.title}.${topic.detail && topic.detail !== topic.title ? ` Context: ${topic.detail}` : ''}`,
      simulation_description: '',
    };
    return {
      name,
      personality: persona.id,
      scenario_language: language,
      tags: base.tags,
      tool_ids: base.tool_ids,
      first_message: base.first_message,
      instructions: buildInstructions(base, { agent: input.agent, personality: persona }),
      expected_outcome_prompt: expected,
      information_fields: {},
      draft: true,
      source_files: topic.files,
    };
  });
  const short = drafts.length < wanted ? ` I found ${drafts.length} distinct topic(s), fewer than the ${wanted} you asked for.` : '';
  return {
    message: `Here are ${drafts.length} draft scenario(s) to review before applying.${short}`,
    needsClarification: false,
    questions: [],
    drafts,
  };
}
