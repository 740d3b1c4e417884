import { languageName } from '../../../domain/languages.js';
import type { PlannerContext, PlannerScenario } from './types.js';

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
  success: string;
  notes: string;
  language: string;
}

// Headings in the scenario's language, so instructions read naturally to whoever maintains them.
const HEADINGS: Record<string, Headings> = {
  en: { persona: 'Persona', goal: 'Goal', opening: 'Opening line', info: 'Give this information only when asked', tools: 'During the call', success: 'The call succeeds when', notes: 'Original notes', language: 'Speak' },
  es: { persona: 'Personaje', goal: 'Objetivo', opening: 'Primera frase', info: 'Da esta información solo si te la piden', tools: 'Durante la llamada', success: 'La llamada tiene éxito cuando', notes: 'Notas originales', language: 'Habla en' },
  fr: { persona: 'Personnage', goal: 'Objectif', opening: 'Première phrase', info: 'Ne donne ces informations que si on te les demande', tools: "Pendant l'appel", success: "L'appel réussit quand", notes: 'Notes d’origine', language: 'Parle en' },
  de: { persona: 'Rolle', goal: 'Ziel', opening: 'Erster Satz', info: 'Gib diese Angaben nur auf Nachfrage', tools: 'Während des Anrufs', success: 'Der Anruf ist erfolgreich, wenn', notes: 'Ursprüngliche Notizen', language: 'Sprich' },
  pt: { persona: 'Persona', goal: 'Objetivo', opening: 'Primeira frase', info: 'Dê estas informações apenas quando pedirem', tools: 'Durante a chamada', success: 'A chamada tem sucesso quando', notes: 'Notas originais', language: 'Fale em' },
  it: { persona: 'Personaggio', goal: 'Obiettivo', opening: 'Prima frase', info: 'Fornisci queste informazioni solo se richieste', tools: 'Durante la chiamata', success: 'La chiamata riesce quando', notes: 'Note originali', language: 'Parla in' },
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

/** The user's own text inside instructions, without any structure generated before. */
export function originalNotes(instructions: string): string {
  const m = NOTES_MARK.exec(instructions);
  if (m) return instructions.slice(m.index + m[0].length).trim();
  return /^##\s*(Persona|Personaje|Personnage|Rolle|Personaggio)\b/m.test(instructions) ? '' : instructions.trim();
}

/**
 * Structured instructions for the simulated caller, built from the scenario's own fields: who to
 * be, what to achieve, what to say first, what to reveal only when asked, how to use its tools and
 * what success looks like. The user's existing text is kept verbatim at the end.
 */
export function buildInstructions(
  s: InstructionSource,
  ctx: { agent?: PlannerContext['agent']; personality?: { name: string; description: string } } = {},
): string {
  const h = HEADINGS[s.scenario_language] ?? HEADINGS.en!;
  const notes = originalNotes(s.instructions);
  const sections: string[] = [];
  const persona = ctx.personality ? `${ctx.personality.name}: ${ctx.personality.description}` : s.personality_name || 'A caller';
  sections.push(`## ${h.persona}\n${persona}. ${h.language} ${languageName(s.scenario_language)}.`);
  const goal = [s.name, s.simulation_description?.trim(), ctx.agent ? `You are calling ${ctx.agent.name}${ctx.agent.description ? ` (${ctx.agent.description.trim()})` : ''}.` : '']
    .filter(Boolean)
    .join('. ')
    .replace(/\.\./g, '.');
  sections.push(`## ${h.goal}\n${goal}`);
  if (s.first_message.trim()) sections.push(`## ${h.opening}\n"${s.first_message.trim()}"`);
  const info = Object.entries(s.information_fields ?? {});
  if (info.length) sections.push(`## ${h.info}\n${info.map(([k, v]) => `- ${humanize(k)}: ${valueText(v)}`).join('\n')}`);
  const tools = s.tool_ids.flatMap((t) => (TOOL_GUIDANCE[t] ? [`- ${TOOL_GUIDANCE[t]}`] : []));
  if (tools.length) sections.push(`## ${h.tools}\n${tools.join('\n')}`);
  if (s.expected_outcome_prompt.trim()) sections.push(`## ${h.success}\n${s.expected_outcome_prompt.trim()}`);
  if (notes) sections.push(`## ${h.notes}:\n${notes}`);
  return sections.join('\n\n');
}

/** Conditional actions (seed shape) from the same fields: the opening, then one per information field. */
export function buildConditionalActions(s: InstructionSource, ctx: { personality?: { name: string; description: string } } = {}) {
  const role = ctx.personality ? `${ctx.personality.name}: ${ctx.personality.description}` : `${s.personality_name || 'A caller'} — ${s.name}`;
  const conditions = [
    { id: 0, condition: 'FIRST_MESSAGE', action: s.first_message.trim() || `Hi, I'm calling about ${s.name.toLowerCase()}.`, type: 'standard' as const, fixed_message: true },
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
