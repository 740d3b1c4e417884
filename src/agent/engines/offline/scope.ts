import { languageName, languageWords, resolveLanguage } from '../../../domain/languages.js';
import { escapeRegExp } from '../../../domain/regexp.js';
import type { PlannerContext, PlannerScenario } from '../../engine.js';

/** Which of the selected scenarios a request is limited to, stated as the reply will say it. */
export interface Scope {
  /** The qualifier as the user wrote it, e.g. "only the billing ones". */
  phrase: string;
  /** How it was read, e.g. `tagged "billing"`, `in Spanish (es)`. */
  label: string;
  exclude: boolean;
  test(s: PlannerScenario): boolean;
}

export type ScopeReading =
  | { scope: null; rest: string }
  | { scope: Scope; rest: string }
  /** A qualifier the planner found but cannot turn into an exact filter: the request is declined. */
  | { unresolved: { phrase: string; reason: string }; rest: string };

const NOUN = '(?:ones?|scenarios?|those|tests?|evaluators?)';
const RELATION = '(?:where|that|which|who|whose|with|in|about|mentioning|tagged|for|from|of|using)';

/**
 * Qualifier shapes, most specific first. Each captures the descriptor; `exclude` marks "all except".
 * Quoted text is masked before these run, so a quoted value never reads as a qualifier.
 */
const SHAPES: Array<{ re: RegExp; exclude?: boolean }> = [
  { re: new RegExp(`^\\s*(?:for|on|in|to)?\\s*(?:only|just)?\\s*(?:the|all)?\\s*${NOUN}\\s+(${RELATION}\\b[^,:;]*?)\\s*[,:]\\s*`, 'i') },
  { re: new RegExp(`^\\s*(?:for|on|in|to)?\\s*(?:only|just)\\s+(?:the\\s+)?([^,:;]+?)\\s+${NOUN}\\s*[,:]\\s*`, 'i') },
  { re: new RegExp(`^\\s*(?:for|on|in|to)\\s+(?:the\\s+)?([^,:;]+?)\\s+${NOUN}\\s*[,:]\\s*`, 'i') },
  { re: new RegExp(`\\s+(?:to|for|on|from|in|of)?\\s*(?:all|every\\s*one|them(?:\\s+all)?|everything)\\s+(?:except|but(?:\\s+not)?|other than|apart from)\\s+(?:for\\s+)?(?:the\\s+)?(.+?)(?:\\s+${NOUN})?\\s*$`, 'i'), exclude: true },
  { re: new RegExp(`\\s+(?:except|but not|other than|apart from)\\s+(?:for\\s+)?(?:the\\s+)?(.+?)(?:\\s+${NOUN})?\\s*$`, 'i'), exclude: true },
  { re: new RegExp(`\\s+(?:to|for|on|from|in|of)\\s+(?:only\\s+|just\\s+)?(?:the\\s+|all\\s+(?:the\\s+)?)?(?:${NOUN}|anything|any)\\s+(${RELATION}\\b.+?)\\s*$`, 'i') },
  { re: new RegExp(`\\s+(?:to|for|on|from|in|of)\\s+(?:only|just)\\s+(?:the\\s+)?(.+?)\\s+${NOUN}\\s*$`, 'i') },
  { re: new RegExp(`\\s+(?:to|for|on|from|in|of)\\s+(?:the\\s+)?(.+?)\\s+${NOUN}\\s*$`, 'i') },
  { re: new RegExp(`\\s+only\\s+(?:the\\s+)?(.+?)\\s+${NOUN}\\s*$`, 'i') },
  { re: /\s+(?:the\s+)?([^\s]+(?:\s[^\s]+)?)\s+ones\b/i },
];

const lower = (t: string) => t.toLowerCase().trim();
/** Words of a descriptor that only say "the scenarios" or how they relate, not what they are. */
const FILLER = /^(?:where|that|which|who|whose|with|in|about|mentioning|mention|tagged(?: as| with)?|for|from|of|using|the|a|an|is|are|has|have|caller|callers|caller is|the caller is|speaks?|speaking|written|tag|tags|personality|language|agent|folder|scenarios?|ones?)\b\s*/i;

function strip(descriptor: string): string {
  let d = descriptor.trim().replace(/^["“']|["”']$/g, '');
  for (let i = 0; i < 8; i++) {
    const next = d.replace(FILLER, '').trim();
    if (next === d) break;
    d = next;
  }
  return d.replace(/\s+(?:ones?|scenarios?|folder|tag|personality|agent)$/i, '').replace(/^["“']|["”']$/g, '').trim();
}

const plural = (w: string) => [w, w.endsWith('s') ? w.slice(0, -1) : `${w}s`];

/** A filter for a descriptor, trying each dimension a scenario is known by, in a fixed order. */
function resolve(descriptor: string, scenarios: PlannerScenario[], ctx: PlannerContext): Omit<Scope, 'phrase' | 'exclude'> | null {
  const raw = lower(descriptor);
  const d = lower(strip(descriptor));
  if (!d) return null;
  const hinted = (word: RegExp) => word.test(raw);
  const candidates: Array<Omit<Scope, 'phrase' | 'exclude'>> = [];
  // Tag: exact, or its singular/plural; a folder of the same name wins only when the request says "folder".
  const tags = new Set(scenarios.flatMap((s) => s.tags.map(lower)));
  const tag = plural(d).find((t) => tags.has(t));
  if (tag && !hinted(/\bfolder\b/)) candidates.push({ label: `tagged "${tag}"`, test: (s) => s.tags.some((t) => lower(t) === tag) });
  // Folder: "in the Billing.Disputes folder", "folder Sales".
  const folder = ctx.folders.find((f) => lower(f) === d) ?? ctx.folders.find((f) => lower(f.split('.').at(-1)!) === d && hinted(/\bfolder\b/));
  if (folder) candidates.push({ label: `in folder ${folder}`, test: (s) => s.folder_path === folder || (s.folder_path ?? '').startsWith(`${folder}.`) });
  // Language: a language's name ("the Spanish ones", "in German").
  const code = languageWords().includes(d) ? resolveLanguage(d) : undefined;
  if (code) candidates.push({ label: `in ${languageName(code)} (${code})`, test: (s) => s.scenario_language === code });
  // Agent: by its name, whole or in part.
  const agents = [...new Map(scenarios.filter((s) => s.agent !== null).map((s) => [s.agent, s.agent_name])).entries()];
  const agent = agents.find(([, n]) => lower(n) === d) ?? (d.length >= 4 ? agents.find(([, n]) => lower(n).includes(d)) : undefined);
  if (agent) candidates.push({ label: `of agent ${agent[1]}`, test: (s) => s.agent === agent[0] });
  // Personality: "where the caller is angry" → Angry Customer.
  const personalities = ctx.personalities.filter((p) => lower(p.name) === d || (d.length >= 4 && new RegExp(`\\b${escapeRegExp(d)}\\b`).test(lower(p.name))));
  if (personalities.length === 1) candidates.push({ label: `with personality ${personalities[0]!.name}`, test: (s) => s.personality === personalities[0]!.id });
  // A word or phrase in the name, then in the name or instructions.
  const word = new RegExp(`\\b${plural(d).map(escapeRegExp).join('|')}\\b`, 'i');
  if (d.length >= 3) {
    candidates.push({ label: `whose name mentions "${d}"`, test: (s) => word.test(s.name) });
    candidates.push({ label: `whose name or instructions mention "${d}"`, test: (s) => word.test(`${s.name}\n${s.instructions}`) });
  }
  // "mentioning X" asks for the text, so the text is the first place to look.
  const order = hinted(/\b(?:mention|mentioning|about|say|says)\b/) ? [...candidates].reverse() : candidates;
  return order.find((c) => scenarios.some(c.test)) ?? null;
}

/**
 * Finds a qualifier that limits the request to some of its scenarios and reads it as an exact
 * filter — by folder, tag, language, agent, personality, or a word in the name or instructions —
 * or says it cannot, so the request is declined rather than widened.
 */
export function readScope(request: string, scenarios: PlannerScenario[], ctx: PlannerContext): ScopeReading {
  const quotes: string[] = [];
  const masked = request.replace(/"[^"]*"|“[^”]*”/g, (m) => `\u0000${quotes.push(m) - 1}\u0000`);
  const unmask = (t: string) => t.replace(/\u0000(\d+)\u0000/g, (_, i: string) => quotes[Number(i)]!);
  for (const shape of SHAPES) {
    const m = shape.re.exec(masked);
    if (!m) continue;
    const descriptor = unmask(m[1]!).trim();
    // "them", "these", "all" limit nothing: they are the selection itself.
    if (/^(?:them|these|those|all|each|every|it|the selected|selected|same)$/i.test(strip(descriptor) || descriptor)) continue;
    const phrase = unmask(m[0]).trim().replace(/[,:]$/, '').trim();
    const rest = unmask(masked.slice(0, m.index) + (m.index === 0 ? '' : ' ') + masked.slice(m.index + m[0].length)).replace(/\s+/g, ' ').trim();
    const found = resolve(descriptor, scenarios, ctx);
    if (!found) {
      return {
        rest,
        unresolved: {
          phrase,
          reason: `"${strip(descriptor) || descriptor}" matches none of the ${scenarios.length} selected scenarios by tag, folder, language, agent, personality, name or instructions, so I cannot tell which ones you mean; nothing was changed. Select those scenarios, or name a tag or folder they share.`,
        },
      };
    }
    return { rest, scope: { phrase, label: found.label, exclude: !!shape.exclude, test: shape.exclude ? (s) => !found.test(s) : found.test } };
  }
  return { scope: null, rest: request };
}
