import { languageName } from '../../../domain/languages.js';
import type { ConditionalActions } from '../../../domain/scenario.js';
import type { NotDone } from '../../../domain/suggestion.js';
import type { PlannerContext, PlannerScenario } from '../../engine.js';

export type InstructionSource = Pick<
  PlannerScenario,
  'name' | 'instructions' | 'expected_outcome_prompt' | 'information_fields' | 'tool_ids' | 'scenario_language' | 'first_message' | 'personality_name'
> &
  Partial<Pick<PlannerScenario, 'simulation_description'>>;

interface Headings {
  persona: string;
  goal: string;
  opening: string;
  info: string;
  tools: string;
  notes: string;
  language: string;
}

// Headings in the scenario's language, so instructions read naturally to whoever maintains them.
const HEADINGS: Record<string, Headings> = {
  en: {
    persona: 'Persona',
    goal: 'Goal',
    opening: 'Opening line',
    info: 'Give this information only when asked',
    tools: 'During the call',
    notes: 'Original notes',
    language: 'Speak',
  },
  es: {
    persona: 'Personaje',
    goal: 'Objetivo',
    opening: 'Primera frase',
    info: 'Da esta información solo si te la piden',
    tools: 'Durante la llamada',
    notes: 'Notas originales',
    language: 'Habla en',
  },
  fr: {
    persona: 'Personnage',
    goal: 'Objectif',
    opening: 'Première phrase',
    info: 'Ne donne ces informations que si on te les demande',
    tools: "Pendant l'appel",
    notes: 'Notes d’origine',
    language: 'Parle en',
  },
  de: {
    persona: 'Rolle',
    goal: 'Ziel',
    opening: 'Erster Satz',
    info: 'Gib diese Angaben nur auf Nachfrage',
    tools: 'Während des Anrufs',
    notes: 'Ursprüngliche Notizen',
    language: 'Sprich',
  },
  pt: {
    persona: 'Persona',
    goal: 'Objetivo',
    opening: 'Primeira frase',
    info: 'Dê estas informações apenas quando pedirem',
    tools: 'Durante a chamada',
    notes: 'Notas originais',
    language: 'Fale em',
  },
  it: {
    persona: 'Personaggio',
    goal: 'Obiettivo',
    opening: 'Prima frase',
    info: 'Fornisci queste informazioni solo se richieste',
    tools: 'Durante la chiamata',
    notes: 'Note originali',
    language: 'Parla in',
  },
};

const TOOL_GUIDANCE: Record<string, string> = {
  TOOL_DTMF: 'When an automated menu asks you to press a key, press the matching keypad digit.',
  TOOL_END_CALL: 'Hang up once your goal is met or the agent ends the conversation.',
  TOOL_END_CALL_ONLY_ON_TRANSFER: 'Stay on the line until you are transferred; hang up only after the transfer.',
  TOOL_TRANSFER_CALL: 'If the agent offers to transfer you, accept and continue with the next person.',
  TOOL_HOLD: 'If you are put on hold, wait quietly without speaking.',
};

const humanize = (key: string) => key.replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** Marks where generated structure ends, so regenerating never nests earlier output. */
const NOTES_MARK = /\n*(?:##\s*)?(Original notes|Notas originales|Notes d’origine|Ursprüngliche Notizen|Notas originais|Note originali):\n/;

const STRUCTURED_START = /^##\s*(Persona|Personaje|Personnage|Rolle|Personaggio)\b/m;

/** The user's own text inside instructions, without any structure generated before. */
export function originalNotes(instructions: string): string {
  const m = NOTES_MARK.exec(instructions);
  if (m) return instructions.slice(m.index + m[0].length).trim();
  return STRUCTURED_START.test(instructions) ? '' : instructions.trim();
}

/**
 * Sentences the simulated caller must never read: the expected outcome is the grader's rubric, and
 * the agent's description holds its internal policies. Compared as normalised text.
 */
function graderKeys(s: InstructionSource, agent?: PlannerContext['agent']): string[] {
  const split = (t: string) =>
    t
      .split(/(?<=[.!?])\s+|\n+/)
      .map(sentenceKey)
      .filter((k) => k.length >= 12);
  return [...split(s.expected_outcome_prompt ?? ''), ...split(agent?.description ?? '')];
}

/** True when a line of caller-facing text repeats the rubric or the agent's internals. */
function isGraderText(line: string, keys: string[]): boolean {
  const k = sentenceKey(line);
  return k.length > 0 && keys.some((g) => k.includes(g) || (k.length >= 12 && g.includes(k)));
}

/**
 * What of the existing instructions must survive a rebuild: the user's notes, plus any line of an
 * earlier structured version (perhaps edited by hand) that the new sections no longer say — except
 * lines that repeat the rubric or the agent's internals, which the caller must not read.
 */
function keptNotes(instructions: string, built: string, keys: string[]): string {
  const m = NOTES_MARK.exec(instructions);
  const structuredPart = m ? instructions.slice(0, m.index) : STRUCTURED_START.test(instructions) ? instructions : '';
  const said = sentenceKey(built);
  const dropped = structuredPart
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^##\s/.test(l) && sentenceKey(l) && !said.includes(sentenceKey(l)) && !isGraderText(l, keys));
  return [originalNotes(instructions), ...dropped].filter(Boolean).join('\n');
}

/** Text without its trailing full stops, since a sentence is added after it (descriptions often end with one). */
function withoutFinalStops(text: string): string {
  let end = text.trimEnd().length;
  while (end > 0 && (text[end - 1] === '.' || /\s/.test(text[end - 1]!))) end--;
  return text.slice(0, end);
}

/**
 * Structured instructions for the simulated caller, built from the scenario's own fields: who to
 * be, what to achieve, what to say first, what to reveal only when asked and how to use its tools.
 * What the caller reads never carries the expected outcome (the grader's rubric) nor the agent's
 * description (its internal policies): the caller is told only whom it calls. The user's existing
 * text is kept verbatim at the end.
 */
export function buildInstructions(
  s: InstructionSource,
  ctx: { agent?: PlannerContext['agent']; personality?: { name: string; description: string } } = {},
): string {
  const h = HEADINGS[s.scenario_language] ?? HEADINGS.en!;
  const sections: string[] = [];
  const persona = ctx.personality ? `${ctx.personality.name}: ${ctx.personality.description}` : s.personality_name || 'A caller';
  sections.push(`## ${h.persona}\n${withoutFinalStops(persona)}. ${h.language} ${languageName(s.scenario_language)}.`);
  const goal = [s.name, s.simulation_description?.trim(), ctx.agent ? `You are calling ${ctx.agent.name}.` : '']
    .filter(Boolean)
    .join('. ')
    .replace(/\.\./g, '.');
  sections.push(`## ${h.goal}\n${goal}`);
  if (s.first_message.trim()) sections.push(`## ${h.opening}\n"${s.first_message.trim()}"`);
  const info = Object.entries(s.information_fields ?? {});
  if (info.length) sections.push(`## ${h.info}\n${info.map(([k, v]) => `- ${humanize(k)}: ${valueText(v)}`).join('\n')}`);
  const tools = s.tool_ids.flatMap((t) => (TOOL_GUIDANCE[t] ? [`- ${TOOL_GUIDANCE[t]}`] : []));
  if (tools.length) sections.push(`## ${h.tools}\n${tools.join('\n')}`);
  const notes = keptNotes(s.instructions, sections.join('\n'), graderKeys(s, ctx.agent));
  if (notes) sections.push(`## ${h.notes}:\n${notes}`);
  return sections.join('\n\n');
}

type Condition = ConditionalActions['conditions'][number];

/** Conditional actions (seed shape) from the same fields: the opening, then one per information field. */
export function buildConditionalActions(s: InstructionSource, ctx: { personality?: { name: string; description: string } } = {}): ConditionalActions {
  const role = ctx.personality ? `${ctx.personality.name}: ${ctx.personality.description}` : `${s.personality_name || 'A caller'} — ${s.name}`;
  const conditions: Condition[] = [
    {
      id: 0,
      condition: 'FIRST_MESSAGE',
      action: s.first_message.trim() || `Hi, I'm calling about ${s.name.toLowerCase()}.`,
      type: 'standard' as const,
      fixed_message: true,
    },
    ...Object.entries(s.information_fields ?? {}).map(([k, v], i) => ({
      id: i + 1,
      condition: `The agent asks for your ${humanize(k)}`,
      action: `Provide your ${humanize(k)}: ${valueText(v)}`,
      type: 'standard' as const,
      fixed_message: false,
    })),
  ];
  return { role, conditions };
}

/**
 * Existing conditional actions edited in place, never rebuilt: every condition is kept as it is,
 * and only what the scenario's fields add (an opening when there is none, one condition per
 * information field not yet covered) is appended, numbered after the last.
 */
export function mergeConditionalActions(existing: unknown, built: ConditionalActions): { actions: ConditionalActions; kept: number; added: number } {
  const ca = existing as ConditionalActions | null;
  if (!ca || !Array.isArray(ca.conditions) || !ca.conditions.length)
    return { actions: { role: ca?.role?.trim() ? ca.role : built.role, conditions: built.conditions }, kept: 0, added: built.conditions.length };
  const said = ca.conditions.map((c) => sentenceKey(`${String(c.condition)} ${c.action}`)).join(' ');
  // An opening cannot be put before condition 0 without renumbering the user's conditions: it is not added.
  const extra = built.conditions.filter(
    (c) => c.condition !== 'FIRST_MESSAGE' && !said.includes(sentenceKey(c.action)) && !said.includes(sentenceKey(String(c.condition))),
  );
  const conditions = [...ca.conditions, ...extra.map((c, i) => ({ ...c, id: ca.conditions.length + i }))];
  return { actions: { role: ca.role?.trim() ? ca.role : built.role, conditions }, kept: ca.conditions.length, added: extra.length };
}

export type InstructionRequest = { kind: 'append'; text: string } | { kind: 'mention'; text: string } | { kind: 'detail' } | { kind: 'shorter' };

const unquote = (t: string) =>
  t
    .trim()
    .replace(/^["“'](.*)["”']$/s, '$1')
    .trim();

/** Which instruction edit a phrase asks for, if it is one the offline rules can make. */
export function instructionRequest(text: string): InstructionRequest | null {
  const full = text.trim();
  const append =
    /^(?:add|append)(?:\s+(?:this|that))?(?:\s+to\s+(?:the\s+)?instructions?)?\s*:\s*(.+)$/is.exec(full) ??
    /^(?:add|append)\s+(?:this\s+)?to\s+(?:the\s+)?instructions?\s+(.+)$/is.exec(full);
  if (append && unquote(append[1]!)) return { kind: 'append', text: unquote(append[1]!) };
  const t = full.replace(/[.!]+$/, '');
  const mention = /^(?:also\s+)?mention\s+(.+)$/is.exec(t);
  if (mention && unquote(mention[1]!)) return { kind: 'mention', text: unquote(mention[1]!) };
  if (/\b(shorter|more concise|concise|briefer|more brief|shorten|trim|tighten)\b/i.test(t)) return { kind: 'shorter' };
  if (/\b(more detail(ed)?|detailed|expand|elaborate|flesh out|more specific|structured?)\b/i.test(t)) return { kind: 'detail' };
  return null;
}

const STRUCTURED = /^##\s+\S/m;
const sentenceKey = (t: string) =>
  t
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** Adds a line to the user's own notes; in structured text it goes under the notes heading. */
function appendNote(current: string, line: string, language: string): string {
  if (!STRUCTURED.test(current) || NOTES_MARK.test(current)) return `${current.trimEnd()}\n${line}`.trim();
  const h = HEADINGS[language] ?? HEADINGS.en!;
  return `${current.trimEnd()}\n\n## ${h.notes}:\n${line}`;
}

/** The notes without sentences the structured sections already state; text outside the notes is kept. */
function withoutDuplicatedNotes(current: string): string {
  const m = NOTES_MARK.exec(current);
  if (!m) return current.replace(/\n{3,}/g, '\n\n').trim();
  const head = current.slice(0, m.index);
  const stated = sentenceKey(head);
  const kept = current
    .slice(m.index + m[0].length)
    .split(/(?<=[.!?])\s+|\n+/)
    .map((x) => x.trim())
    .filter((x) => x && !stated.includes(sentenceKey(x)));
  const notes = kept.join(' ');
  return (notes ? `${head}${m[0]}${notes}` : head).replace(/\n{3,}/g, '\n\n').trim();
}

/** Finds the information field a phrase names ("the order id" → order_id), to mention its value too. */
function informationFor(phrase: string, s: InstructionSource): [string, unknown] | undefined {
  const wanted = sentenceKey(phrase.replace(/^(?:the|your|their|an?)\s+/i, ''));
  return Object.entries(s.information_fields ?? {}).find(([k]) => sentenceKey(humanize(k)) === wanted);
}

/**
 * Edits existing instructions for a plain-language request: more detail (structured sections built
 * from the scenario), an added note or mention, or a shorter version that keeps the structure and
 * drops notes the sections already say. Anything else is left unchanged and named as needing a model.
 */
export function improveInstructions(
  current: string,
  request: string,
  s: InstructionSource,
  ctx: { agent?: PlannerContext['agent']; personality?: { name: string; description: string } } = {},
): { instructions: string; message: string; notDone: NotDone[] } {
  let text = current;
  const done: string[] = [];
  const reasons: string[] = [];
  const notDone: NotDone[] = [];
  const parts = request
    .split(/\n+|;\s*/)
    .map((p) => p.trim().replace(/^(?:please|and|also|then)\s+/i, ''))
    .filter(Boolean);
  for (const part of parts) {
    const r = instructionRequest(part);
    if (!r) {
      reasons.push(`"${part}" needs a language model (set SCENARIST_MODEL, e.g. SCENARIST_MODEL=openai:gpt-4.1-mini; see docs/models.md).`);
      notDone.push({
        part,
        reason: 'That needs a language model: configure one with SCENARIST_MODEL, e.g. SCENARIST_MODEL=openai:gpt-4.1-mini (see docs/models.md).',
      });
      continue;
    }
    const before = text;
    if (r.kind === 'append') text = appendNote(text, r.text, s.scenario_language);
    else if (r.kind === 'mention') {
      const info = informationFor(r.text, s);
      const line = info ? `Mention your ${humanize(info[0])} (${valueText(info[1])}) when it helps the agent.` : `Mention ${r.text}.`;
      text = sentenceKey(text).includes(sentenceKey(line)) ? text : appendNote(text, line, s.scenario_language);
    } else if (r.kind === 'detail') text = buildInstructions({ ...s, instructions: text }, ctx);
    else if (STRUCTURED.test(text)) text = withoutDuplicatedNotes(text);
    else {
      const why =
        'shortening free-form text means rewriting it, which needs a language model; ask for "more detailed instructions" first to get structured sections that can be trimmed';
      reasons.push(`"${part}": ${why}.`);
      notDone.push({ part, reason: `${why[0]!.toUpperCase()}${why.slice(1)}.` });
      continue;
    }
    done.push(
      text === before
        ? `${r.kind === 'shorter' ? 'the instructions are already as short as the rules can make them' : `nothing to change for "${part}"`}`
        : describe(r),
    );
  }
  const parts2 = [done.length ? `${capitalise(done.join('; '))}.` : 'I did not change the instructions.'];
  if (reasons.length) parts2.push(`I could not do: ${reasons.join(' ')}`);
  return { instructions: text, message: parts2.join(' '), notDone };
}

function describe(r: InstructionRequest): string {
  switch (r.kind) {
    case 'append':
      return 'added your note to the instructions';
    case 'mention':
      return `asked the caller to mention ${r.text}`;
    case 'detail':
      return 'rewrote the instructions as structured sections, keeping your original text';
    case 'shorter':
      return 'shortened the instructions by dropping notes the sections already state';
  }
}

const capitalise = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
