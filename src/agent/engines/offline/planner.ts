import { LANGUAGE_CODES, languageName, languageWords, resolveLanguage } from '../../../domain/languages.js';
import { fieldValueErrors, MAX_DURATION_MAX, MAX_DURATION_MIN, NAME_MAX, sameValue } from '../../../domain/scenario.js';
import { toolPhrases } from '../../../domain/tools.js';
import { improveInstructions, instructionRequest } from './instructions.js';
import type { EngineField, NotDone, Suggestion } from '../../../domain/suggestion.js';
import type { ImproveOutput, PlannerContext, PlannerScenario } from '../../engine.js';

type Fields = Partial<Record<EngineField, unknown>>;

/** The offline improve step's answer: the assistant's reply, the suggestions, and what it did not do. */
export type ImprovePlan = Pick<ImproveOutput, 'message' | 'suggestions' | 'notDone'>;

/** One understood part of a request: how it changes a scenario, and how to describe it. */
interface Op {
  label: string;
  apply(s: PlannerScenario, current: Fields): Fields;
}

type Parsed = { op: Op } | { unsupported: string } | null;

export const MODEL_HINT =
  'that needs a language model. The offline engine only carries out structured requests (tools, language, max duration, tags, folder, personality, names, first message, expected outcome, more detailed instructions); to configure a model set SCENARIST_MODEL, e.g. SCENARIST_MODEL=openai:gpt-4.1-mini (see docs/models.md).';

const VERBS = ['mention', 'shorten', 'add', 'remove', 'delete', 'drop', 'set', 'change', 'make', 'use', 'move', 'put', 'rename', 'limit', 'tag', 'enable', 'disable', 'allow', "don't", 'do not', 'prefix', 'expand', 'give', 'switch', 'translate', 'cap', 'untag'];
const VERB_ALT = VERBS.map((v) => v.replace(/'/g, "'?")).join('|');

/** Splits a request into its parts: lines, semicolons, and "and"/commas that start a new instruction. */
export function splitRequest(text: string): string[] {
  const protectedQuotes: string[] = [];
  const masked = text.replace(/"[^"]*"|“[^”]*”/g, (m) => `\u0000${protectedQuotes.push(m) - 1}\u0000`);
  const parts = masked
    .split(new RegExp(`\\n|;|\\.\\s+(?=[A-Z])|(?:,\\s*(?:and\\s+|then\\s+)?|\\s+(?:and|then)\\s+)(?=(?:${VERB_ALT})\\b)`, 'i'))
    .map((p) => p.replace(/\u0000(\d+)\u0000/g, (_, i: string) => protectedQuotes[Number(i)]!).trim().replace(/^(and|then|also|please)\s+/i, '').replace(/[.,]+$/, ''))
    .filter((p) => p.length > 0);
  return parts;
}

const quoted = (t: string) => /"([^"]*)"|“([^”]*)”/.exec(t)?.slice(1).find((x) => x !== undefined);
const afterColonOrTo = (t: string) => quoted(t) ?? /(?::|\bto\b|\bas\b|\bis\b)\s*(.+)$/i.exec(t)?.[1]?.trim();

function toolIdsIn(text: string, ctx: PlannerContext): string[] {
  const t = ` ${text.toLowerCase()} `;
  const found: string[] = [];
  let rest = t;
  for (const [phrase, id] of toolPhrases()) {
    const re = new RegExp(`[^a-z0-9_]${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^a-z0-9_]`);
    if (re.test(rest)) {
      found.push(id);
      rest = rest.replace(re, ' ');
    }
  }
  for (const tool of ctx.tools) {
    if (found.includes(tool.id)) continue;
    const names = [tool.id.toLowerCase(), tool.name.toLowerCase()];
    if (names.some((n) => n && rest.includes(` ${n} `))) found.push(tool.id);
  }
  return [...new Set(found)];
}

function parseTools(clause: string, ctx: PlannerContext): Parsed {
  const c = clause.toLowerCase();
  const remove = /^(remove|delete|drop|disable|don'?t allow|do not allow|take away)\b/.test(c) || /\bwithout\b/.test(c);
  const add = /^(add|enable|allow|give|include|use)\b/.test(c);
  if (!add && !remove) return null;
  const mentionsTool = /\btools?\b/.test(c) || toolIdsIn(clause, ctx).length > 0;
  if (!mentionsTool) return null;
  const ids = toolIdsIn(clause, ctx);
  if (!ids.length) return { unsupported: `"${clause}" — I don't know that tool. Known tools: ${ctx.tools.map((t) => t.name).join(', ')}.` };
  if (remove) {
    return { op: { label: `removed ${ids.join(', ')}`, apply: (s, cur) => ({ tool_ids: ((cur.tool_ids as string[]) ?? s.tool_ids).filter((t) => !ids.includes(t)) }) } };
  }
  return { op: { label: `added ${ids.join(', ')}`, apply: (s, cur) => ({ tool_ids: [...new Set([...((cur.tool_ids as string[]) ?? s.tool_ids), ...ids])] }) } };
}

function parseLanguage(clause: string): Parsed {
  const c = clause.toLowerCase();
  const m = /\blanguage\b.*?\b(?:to|:|as|=)\s*([\p{L}-]+)/iu.exec(clause) ?? /^(?:make|switch|translate|change|set)\b.*?\b(?:to|into|in)\s+([\p{L}-]+)\s*$/iu.exec(clause) ?? /^(?:make (?:them|it|these|the scenarios?) )([\p{L}]+)$/iu.exec(clause) ?? /^in ([\p{L}]+)$/iu.exec(clause);
  if (!m) {
    if (!/\blanguage\b/.test(c)) return null;
    const word = languageWords().find((w) => new RegExp(`\\b${w}\\b`).test(c));
    if (!word) return { unsupported: `"${clause}" — say which language, e.g. "set the language to French".` };
    return languageOp(word);
  }
  const code = resolveLanguage(m[1]!);
  if (!code) {
    if (!/\blanguage\b/.test(c) && !languageWords().some((w) => c.includes(w))) return null;
    return { unsupported: `"${clause}" — "${m[1]}" is not a supported scenario language (supported: ${LANGUAGE_CODES.length} languages such as English, Spanish, French, German, Portuguese, Italian, Hindi, Japanese).` };
  }
  return languageOp(code);
}

function languageOp(text: string): Parsed {
  const code = resolveLanguage(text)!;
  return { op: { label: `set the language to ${languageName(code)} (${code})`, apply: () => ({ scenario_language: code }) } };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, secs: 1, second: 1, seconds: 1, m: 60, min: 60, mins: 60, minute: 60, minutes: 60, h: 3600, hr: 3600, hour: 3600, hours: 3600 };
const WORD_NUMBERS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, fifteen: 15, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, half: 0.5 };

/** "5 minutes", "90 seconds", "1.5 min", "an hour", "300" → seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /(\d+(?:\.\d+)?|\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty|forty|fifty|sixty|half)\b)\s*(?:an?\s+)?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?\b/i.exec(text);
  if (!m) return undefined;
  const n = /^\d/.test(m[1]!) ? Number(m[1]) : WORD_NUMBERS[m[1]!.toLowerCase()]!;
  const unit = m[2] ? UNIT_SECONDS[m[2].toLowerCase()]! : 1;
  return Math.round(n * unit);
}

function parseMaxDuration(clause: string): Parsed {
  const c = clause.toLowerCase();
  if (!/\b(max(imum)?[ _-]?duration|duration|call length|calls? to|time limit|limit (the )?calls?|max call|project(?:'s)? default)\b/.test(c)) return null;
  if (/\b(remove|clear|unset|no)\b.*\b(duration|limit)\b|\bproject(?:'s)? default\b/.test(c)) {
    return { op: { label: 'removed the max duration (the project default applies)', apply: () => ({ max_duration: null }) } };
  }
  const seconds = parseDuration(c.replace(/max(imum)?[ _-]?duration|duration/g, ' '));
  if (seconds === undefined) return { unsupported: `"${clause}" — say how long, e.g. "max duration 5 minutes".` };
  if (seconds < MAX_DURATION_MIN || seconds > MAX_DURATION_MAX) {
    return { unsupported: `"${clause}" — ${seconds} s is outside the allowed range of ${MAX_DURATION_MIN}–${MAX_DURATION_MAX} seconds.` };
  }
  return { op: { label: `set the max duration to ${seconds} s`, apply: () => ({ max_duration: seconds }) } };
}

const splitList = (t: string) =>
  t
    .split(/,|\band\b/)
    .map((x) => x.trim().replace(/^["'“]|["'”]$/g, '').trim())
    .filter(Boolean);

function parseTags(clause: string): Parsed {
  const c = clause.toLowerCase();
  if (/^(remove|delete|clear|drop) all tags\b/.test(c)) return { op: { label: 'removed all tags', apply: () => ({ tags: [] }) } };
  let m = /^(?:add|set)\s+(?:the\s+)?tags?\s*:?\s*(.+)$/i.exec(clause) ?? /^tag (?:them|it|these|all|each)?\s*(?:as|with)?\s*:?\s*(.+)$/i.exec(clause);
  if (m) {
    const tags = splitList(m[1]!).map((t) => t.slice(0, 100));
    return { op: { label: `added tag ${tags.join(', ')}`, apply: (s, cur) => ({ tags: [...new Set([...((cur.tags as string[]) ?? s.tags), ...tags])] }) } };
  }
  m = /^(?:remove|delete|drop|untag)\s+(?:the\s+)?tags?\s*:?\s*(.+)$/i.exec(clause);
  if (m) {
    const tags = splitList(m[1]!);
    return { op: { label: `removed tag ${tags.join(', ')}`, apply: (s, cur) => ({ tags: ((cur.tags as string[]) ?? s.tags).filter((t) => !tags.includes(t)) }) } };
  }
  return null;
}

function parseFolder(clause: string, ctx: PlannerContext): Parsed {
  const c = clause.toLowerCase();
  if (!/\bfolder\b/.test(c)) return null;
  if (/^(remove|take)\b.*\bfrom\b.*\bfolder\b|\bno folder\b/.test(c)) return { op: { label: 'removed from their folder', apply: () => ({ folder_path: null }) } };
  const m = quoted(clause) ?? /\bfolder\s+([\w. -]+?)\s*$/i.exec(clause)?.[1] ?? /\b(?:in|into|to)\s+(?:the\s+)?([\w. -]+?)\s+folder\b/i.exec(clause)?.[1];
  if (!m) return { unsupported: `"${clause}" — say which folder, e.g. "move to folder Sales.Inbound".` };
  const path = ctx.folders.find((f) => f.toLowerCase() === m.trim().toLowerCase());
  if (!path) return { unsupported: `"${clause}" — folder "${m.trim()}" does not exist; create it first (scenarios/create_folder/).` };
  return { op: { label: `moved to folder ${path}`, apply: () => ({ folder_path: path }) } };
}

function parsePersonality(clause: string, ctx: PlannerContext): Parsed {
  const c = clause.toLowerCase();
  const m = /\bpersonality\b\s*(?:to|:)?\s*(.*)$/i.exec(clause) ?? /^(?:use|make)\s+(?:the\s+)?(.+?)\s+personality$/i.exec(clause) ?? /^make the caller(?:s)?\s+(?:an?\s+)?(.+)$/i.exec(clause);
  const wanted = (quoted(clause) ?? /^(?:use|make)\s+(?:the\s+)?(.+?)\s+personality$/i.exec(clause)?.[1] ?? m?.[1] ?? '').trim().toLowerCase();
  if (!m && !/\bpersonality\b/.test(c)) return null;
  if (!wanted) return { unsupported: `"${clause}" — say which personality: ${ctx.personalities.map((p) => p.name).join(', ')}.` };
  const exact = ctx.personalities.filter((p) => p.name.toLowerCase() === wanted);
  const words = wanted.split(/\s+/).filter((w) => w.length > 2);
  const partial = ctx.personalities.filter((p) => words.length > 0 && words.every((w) => p.name.toLowerCase().includes(w)));
  const hits = exact.length ? exact : partial;
  if (hits.length !== 1) {
    if (!/\bpersonality\b/.test(c) && hits.length === 0) return null;
    const choices = (hits.length ? hits : ctx.personalities).map((p) => p.name).join(', ');
    return { unsupported: `"${clause}" — ${hits.length ? 'more than one personality matches' : 'no personality matches'}; choose one of: ${choices}.` };
  }
  const p = hits[0]!;
  return { op: { label: `set the personality to ${p.name}`, apply: () => ({ personality: p.id }) } };
}

function textOp(clause: string, field: 'first_message' | 'expected_outcome_prompt', pattern: RegExp, label: string): Parsed {
  if (!pattern.test(clause)) return null;
  const value = afterColonOrTo(clause.replace(pattern, ''));
  if (!value) return { unsupported: `"${clause}" — put the new text in quotes, e.g. ${label} "…".` };
  return { op: { label: `set the ${label}`, apply: () => ({ [field]: value }) } };
}

function parseRename(clause: string, count: number): Parsed {
  const prefix = /^(?:prefix (?:the )?names? with|add (?:the )?prefix)\s*:?\s*(.+)$/i.exec(clause);
  if (prefix) {
    const raw = (quoted(clause) ?? prefix[1]!).replace(/^["“]|["”]$/g, '');
    // A prefix is followed by a space unless it ends in one already ("[QA]" → "[QA] Name").
    const p = /\s$/.test(raw) ? raw : `${raw} `;
    return {
      op: {
        label: `prefixed names with "${p}"`,
        apply: (s, cur) => {
          const name = (cur.name as string) ?? s.name;
          return name.startsWith(p) ? {} : { name: `${p}${name}`.slice(0, NAME_MAX).trimEnd() };
        },
      },
    };
  }
  if (!/^rename\b/i.test(clause)) return null;
  const name = afterColonOrTo(clause.replace(/^rename\s+(?:it|them|the scenarios?)?\s*/i, ''))?.trim();
  if (!name) return { unsupported: `"${clause}" — put the new name in quotes.` };
  // Several scenarios cannot share one new name meaningfully; number them so each stays distinct.
  let n = 0;
  return {
    op: {
      label: `renamed to "${name.slice(0, NAME_MAX)}"`,
      apply: () => {
        n++;
        const suffix = count > 1 && n > 1 ? ` (${n})` : '';
        return { name: name.slice(0, NAME_MAX - suffix.length).trimEnd() + suffix };
      },
    },
  };
}

const INSTRUCTION_LABELS = {
  append: 'added to the instructions',
  mention: 'added a mention to the instructions',
  detail: 'wrote more detailed instructions',
  shorter: 'shortened the instructions',
} as const;

function parseInstructions(clause: string, ctx: PlannerContext): Parsed {
  const r = instructionRequest(clause);
  if (!r) return null;
  // "more detailed"/"shorter" alone could be about another field; only take them for instructions or whole scenarios.
  if ((r.kind === 'detail' || r.kind === 'shorter') && !/\b(instructions?|details?|expand|scenarios?|them|it|these)\b/i.test(clause)) return null;
  if (/\b(duration|name|first message|outcome)\b/i.test(clause) && r.kind !== 'append') return null;
  return {
    op: {
      label: INSTRUCTION_LABELS[r.kind],
      apply: (s, cur) => {
        // A conditional-actions scenario is driven by its conditions; its instructions are not used.
        if (s.scenario_type === 'conditional_actions') return {};
        const current = { ...s, ...(cur as Partial<PlannerScenario>) };
        const personality = ctx.personalities.find((p) => p.id === current.personality);
        return { instructions: improveInstructions(current.instructions, clause, current, { agent: ctx.agent, personality }).instructions };
      },
    },
  };
}

/** Reads one part of a request; the first rule that recognises it wins. */
function parseClause(clause: string, ctx: PlannerContext, count: number): Parsed {
  return (
    textOp(clause, 'first_message', /^(?:set|change|make|use)?\s*(?:the\s+)?first message\b/i, 'first message') ??
    textOp(clause, 'expected_outcome_prompt', /^(?:set|change|make|use)?\s*(?:the\s+)?expected outcome(?: prompt)?\b/i, 'expected outcome') ??
    parseRename(clause, count) ??
    parseInstructions(clause, ctx) ??
    parseMaxDuration(clause) ??
    parseTags(clause) ??
    parseFolder(clause, ctx) ??
    parseTools(clause, ctx) ??
    parsePersonality(clause, ctx) ??
    parseLanguage(clause)
  );
}

/**
 * The offline engine's improve step: understands the structured requests people make most, applies
 * them to each scenario and proposes only real differences. What it cannot do is named in the
 * message, never guessed at.
 */
export function planImprovement(userMessage: string, scenarios: PlannerScenario[], ctx: PlannerContext): ImprovePlan {
  const ops: Op[] = [];
  const notDone: NotDone[] = [];
  const reasons: string[] = [];
  for (const clause of splitRequest(userMessage)) {
    const parsed = parseClause(clause, ctx, scenarios.length);
    if (parsed && 'op' in parsed) ops.push(parsed.op);
    else {
      const text = parsed ? parsed.unsupported : `"${clause}" — ${MODEL_HINT}`;
      reasons.push(text);
      // The reply quotes the part; not_done names it apart from why.
      notDone.push({ part: clause, reason: text.startsWith(`"${clause}" — `) ? text.slice(clause.length + 5) : text });
    }
  }

  const counts = new Map<string, number>();
  const changes: Suggestion[] = [];
  const rejected = new Map<string, string>();
  for (const s of scenarios) {
    let fields: Fields = {};
    const why = new Map<EngineField, string[]>();
    for (const op of ops) {
      const next = op.apply(s, fields);
      const changed = (Object.entries(next) as Array<[EngineField, unknown]>).filter(([k, v]) => !sameValue(v, (s as unknown as Record<string, unknown>)[k]) && !sameValue(v, fields[k]));
      fields = { ...fields, ...next };
      for (const [k] of changed) why.set(k, [...(why.get(k) ?? []), op.label]);
      if (changed.length) counts.set(op.label, (counts.get(op.label) ?? 0) + 1);
    }
    const diff: Suggestion['changes'] = [];
    for (const [k, v] of Object.entries(fields) as Array<[EngineField, unknown]>) {
      if (sameValue(v, (s as unknown as Record<string, unknown>)[k])) continue;
      // Never propose a value the Scenario rules would refuse (e.g. a list grown past its limit).
      const errors = fieldValueErrors(k, v);
      if (errors.length) rejected.set(`${k}: ${errors.join(' ')}`, k);
      else diff.push({ field: k, value: v, reason: (why.get(k) ?? []).join('; ') });
    }
    if (diff.length) changes.push({ scenario_id: s.id, based_on_revision: s.revision, changes: diff, notes: [] });
  }
  for (const [r, field] of rejected) {
    reasons.push(`A change to ${r} — left out because the value would not be valid.`);
    notDone.push({ part: `the change to ${field}`, reason: `${r.slice(field.length + 2)} The value would not be valid, so it was left out.` });
  }

  const parts: string[] = [];
  const scenariosWord = (n: number) => (n === 1 ? 'scenario' : 'scenarios');
  if (changes.length) {
    const done = [...counts].map(([label, n]) => `${label} on ${n}`).join(', ');
    parts.push(`I suggest changes to ${changes.length} of ${scenarios.length} ${scenariosWord(scenarios.length)}: ${done}. Review them and apply the ones you want.`);
  } else if (!scenarios.length) {
    parts.push('There are no scenarios to change.');
  } else if (ops.length) {
    parts.push(`Nothing to change: the ${scenariosWord(scenarios.length)} already match what you asked (${ops.map((o) => o.label).join(', ')}).`);
  } else {
    parts.push('I did not change anything.');
  }
  if (reasons.length) parts.push(`I could not do: ${reasons.join(' ')}`);
  return { message: parts.join('\n\n'), suggestions: changes, notDone };
}
