import { languageName, languageWords, resolveLanguage } from '../../../domain/languages.js';
import { escapeRegExp } from '../../../domain/regexp.js';
import type { PlannerContext, PlannerScenario } from '../../engine.js';

/** Which of the selected scenarios a request is limited to, stated as the reply will say it. */
export interface Scope {
  /** The qualifier as the user wrote it, e.g. "only the billing ones". */
  phrase: string;
  /** How it was read, e.g. `tagged "billing"`, `not in Spanish (es)`. */
  label: string;
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
  // "For everything except the Spanish ones, …", "except the smoke ones: …" — an exclusion before the request.
  {
    re: new RegExp(
      `^\\s*(?:for|on|in|to)?\\s*(?:(?:all|every\\s*(?:one|thing)|everything|all (?:the )?${NOUN}|every ${NOUN})\\s+(?:except|but(?:\\s+not)?|other than|apart from)|except|other than|apart from)\\s+(?:for\\s+)?(?:the\\s+)?([^,:;]+?)(?:\\s+${NOUN})?\\s*[,:]\\s*`,
      'i',
    ),
    exclude: true,
  },
  // "only the Disputes folder: …", "in the Travel folder, …", "in folder Clinic: …" — a folder named before the request.
  { re: /^\s*(?:only|just)?\s*(?:for|in|on|within)?\s*(?:only\s+)?(?:the\s+)?((?:[^,:;]+?\s+folder)|(?:folder\s+[^,:;]+?))\s*[,:]\s*/i },
  { re: new RegExp(`^\\s*(?:for|on|in|to)?\\s*(?:only|just)?\\s*(?:the|all)?\\s*${NOUN}\\s+(${RELATION}\\b[^,:;]*?)\\s*[,:]\\s*`, 'i') },
  { re: new RegExp(`^\\s*(?:for|on|in|to)?\\s*(?:only|just)\\s+(?:the\\s+)?([^,:;]+?)\\s+${NOUN}\\s*[,:]\\s*`, 'i') },
  { re: new RegExp(`^\\s*(?:for|on|in|to)\\s+(?:the\\s+)?([^,:;]+?)\\s+${NOUN}\\s*[,:]\\s*`, 'i') },
  {
    re: new RegExp(
      `\\s+(?:to|for|on|from|in|of)?\\s*(?:all|every\\s*one|them(?:\\s+all)?|everything)\\s+(?:except|excluding|but(?:\\s+not)?|other than|apart from)\\s+(?:for\\s+|from\\s+|on\\s+|in\\s+)?(?:the\\s+)?(.+?)(?:\\s+${NOUN})?\\s*$`,
      'i',
    ),
    exclude: true,
  },
  {
    re: new RegExp(
      `,?\\s+(?:except|excluding|but not|other than|apart from)\\s+(?:for\\s+|from\\s+|on\\s+|in\\s+)?(?:the\\s+)?(.+?)(?:\\s+${NOUN})?\\s*$`,
      'i',
    ),
    exclude: true,
  },
  {
    re: new RegExp(
      `\\s+(?:to|for|on|from|in|of)\\s+(?:only\\s+|just\\s+)?(?:the\\s+|all\\s+(?:the\\s+)?)?(?:${NOUN}|anything|any)\\s+(${RELATION}\\b.+?)\\s*$`,
      'i',
    ),
  },
  { re: new RegExp(`\\s+(?:to|for|on|from|in|of)\\s+(?:only|just)\\s+(?:the\\s+)?(.+?)\\s+${NOUN}(?:\\s+only)?\\s*$`, 'i') },
  { re: new RegExp(`\\s+(?:to|for|on|from|in|of)\\s+(?:the\\s+)?(.+?)\\s+${NOUN}(?:\\s+only)?\\s*$`, 'i') },
  { re: new RegExp(`\\s+only\\s+(?:the\\s+)?(.+?)\\s+${NOUN}\\s*$`, 'i') },
  // "… where the caller is angry", "… when the caller speaks German".
  { re: /\s+((?:where|when|whenever|if)\s+(?:the\s+)?callers?\s+(?:is|are|sounds?|speaks?|was)\s+[^,:;]+?)\s*$/i },
  // "remove the beta tag from the Billing folder" (a move says "to" or "into", never "from").
  { re: /\s+(?:from|within|inside)\s+(?:the\s+)?([^,:;]+?\s+folder)\s*$/i },
  { re: /\s+(?:the\s+)?([^\s]+(?:\s[^\s]+)?)\s+ones\b(?:\s+only\b)?/i },
  // "set the max duration of the smoke tests to 1 minute".
  { re: /\s+the\s+([^\s]+(?:\s[^\s]+)?)\s+(?:scenarios|tests)\b(?:\s+only\b)?/i },
];

const lower = (t: string) => t.toLowerCase().trim();
/** Words of a descriptor that only say "the scenarios" or how they relate, not what they are. */
const FILLER =
  /^(?:where|that|which|who|whose|with|in|about|their|its|mentioning|mention|tagged(?: as| with)?|for|from|of|using|the|a|an|is|are|has|have|caller|callers|caller is|the caller is|speaks?|speaking|written|tag|tags|personality|language|agent|folder|scenarios?|ones?|all|every|any|only|just|(?:name|title)s?(?:\s+(?:contains?|includes?|has|have|with|mentions?))?|named|called|titled|containing|contains?|includes?)\b\s*/i;

function strip(descriptor: string): string {
  let d = descriptor.trim().replace(/^["“']|["”']$/g, '');
  for (let i = 0; i < 8; i++) {
    const next = d.replace(FILLER, '').trim();
    if (next === d) break;
    d = next;
  }
  return d
    .replace(/\s+(?:ones?|scenarios?|folder|tag|personality|agent)$/i, '')
    .replace(/^["“']|["”']$/g, '')
    .trim();
}

const unquote = (t: string) =>
  t
    .trim()
    .replace(/^["“'](.*)["”']$/s, '$1')
    .trim();
const plural = (w: string) => [w, w.endsWith('s') ? w.slice(0, -1) : `${w}s`];

/** A filter for a descriptor, trying each dimension a scenario is known by, in a fixed order. */
function resolve(descriptor: string, scenarios: PlannerScenario[], ctx: PlannerContext): Omit<Scope, 'phrase' | 'exclude'> | null {
  const raw = lower(descriptor);
  const d = lower(strip(descriptor));
  if (!d) return null;
  const hinted = (word: RegExp) => word.test(raw);
  const candidates: Array<Omit<Scope, 'phrase' | 'exclude'>> = [];
  // A scenario's own name, exactly ("except Autopay setup").
  const exactName = scenarios.find((s) => lower(s.name) === lower(unquote(descriptor)));
  if (exactName) candidates.push({ label: `named "${exactName.name}"`, test: (s) => lower(s.name) === lower(exactName.name) });
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
  // "mentioning X" asks for the text, so the text is the first place to look; "whose name contains X" the name.
  const byName = candidates.filter((c) => c.label.startsWith('whose name mentions'));
  const order = hinted(/\b(?:mention|mentioning|about|say|says)\b/)
    ? [...candidates].reverse()
    : hinted(/\b(?:names?|named|called|titled)\b/)
      ? [...byName, ...candidates]
      : candidates;
  return order.find((c) => scenarios.some(c.test)) ?? null;
}

/**
 * A descriptor as one group, or as a list of groups ("the German or Spanish ones", "except the
 * Spanish and German ones"), each of which must be read exactly; the scenarios of any of them.
 */
function resolveList(descriptor: string, scenarios: PlannerScenario[], ctx: PlannerContext): Omit<Scope, 'phrase'> | null {
  const whole = resolve(descriptor, scenarios, ctx);
  if (whole) return whole;
  const items = descriptor
    .split(/\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+/i)
    .map((x) => x.trim())
    .filter(Boolean);
  if (items.length < 2) return null;
  const found = items.map((item) => resolve(item, scenarios, ctx));
  if (found.some((f) => !f)) return null;
  const groups = found as Array<Omit<Scope, 'phrase'>>;
  return { label: groups.map((g) => g.label).join(' or '), test: (s) => groups.some((g) => g.test(s)) };
}

/**
 * Scenarios named one by one, exactly as the selection names them: "to Autopay setup", "for Seat
 * upgrade and Pet on board", "to "Late fee dispute" and "Late fee question"" — trailing, or before
 * the request with a comma or colon.
 */
function namedScenarios(masked: string, unmask: (t: string) => string, pool: PlannerScenario[]): (Scope & { rest: string }) | null {
  const names = new Map(pool.map((s) => [lower(s.name), s.name]));
  const lead = /(^|\s+)(?:to|for|on|from|in|of|only|just)\s+(?:only\s+)?(?:the\s+)?(?:scenarios?\s+)?(?:(?:named|called)\s+)?/gi;
  for (let m = lead.exec(masked); m; m = lead.exec(masked)) {
    const start = m.index + m[0].length;
    const leading = m.index === 0 && /[,:]/.test(masked.slice(start));
    // The names run to the end, to a comma or colon before the request, or to the new value ("for X to "…"").
    const ends = leading
      ? [start + masked.slice(start).search(/[,:]/)]
      : [masked.length, ...[...masked.slice(start).matchAll(/\s+(?:to|as|with|=)\s+|\s*:\s*/g)].map((x) => start + x.index)];
    for (const end of ends) {
      const descriptor = unmask(masked.slice(start, end))
        .replace(/[.!?]+$/, '')
        .replace(/\s+(?:only|scenarios?)$/i, '')
        .trim();
      const items = [descriptor, ...descriptor.split(/\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+/i)].map(unquote);
      const whole = names.get(lower(items[0]!));
      const list = items.slice(1);
      const hits = whole ? [whole] : list.length > 1 && list.every((x) => names.has(lower(x))) ? list.map((x) => names.get(lower(x))!) : null;
      if (!hits) continue;
      const wanted = new Set(hits.map(lower));
      // "…, except from Autopay setup": the names are the ones left out.
      const not = /,?\s*(?:except|excluding|but not|but|other than|apart from|not)\s*$/i.exec(masked.slice(0, m.index));
      const from = not ? not.index : m.index;
      const rest = unmask(leading ? masked.slice(end + 1) : `${masked.slice(0, from)} ${masked.slice(end)}`)
        .replace(/[^\S\n]+/g, ' ')
        .trim();
      const phrase = unmask(masked.slice(from, end)).trim().replace(/^,\s*/, '');
      const label = `named ${hits.map((n) => `"${n}"`).join(' and ')}`;
      return not
        ? { phrase, rest, label: `not ${label}`, test: (s) => !wanted.has(lower(s.name)) }
        : { phrase, rest, label, test: (s) => wanted.has(lower(s.name)) };
    }
  }
  return null;
}

const SELECTION_ITSELF = new RegExp(
  `\\s+(?:on|to|for|in|from|of)\\s+(?:(?:every|each|all(?:\\s+of)?(?:\\s+the)?|the\\s+selected)\\s+${NOUN}|(?:the\\s+)?${NOUN}\\s+(?:that|which|who)\\s+(?:have|has|use|uses|lack|lacks|miss|are missing|don'?t have|do not have|doesn'?t have)\\s+(?:it|them|this|that|one))(?=\\s|$|[,:;.])`,
  'gi',
);

/** One qualifier of a request, read against the whole selection. */
function readOne(request: string, pool: PlannerScenario[], ctx: PlannerContext): ScopeReading {
  const quotes: string[] = [];
  // "on every scenario", "to all of them" name the selection itself, never a part of it.
  const masked = request.replace(/"[^"]*"|“[^”]*”/g, (m) => `\u0000${quotes.push(m) - 1}\u0000`).replace(SELECTION_ITSELF, '');
  const unmask = (t: string) => t.replace(/\u0000(\d+)\u0000/g, (_, i: string) => quotes[Number(i)]!);
  const byName = namedScenarios(masked, unmask, pool);
  if (byName) return { scope: byName, rest: byName.rest };
  for (const shape of SHAPES) {
    let first: { phrase: string; descriptor: string; rest: string } | undefined;
    // The leftmost match may swallow words of the request ("to five mins for the urgent ones"): a later start is tried before giving up.
    for (let from = 0; from < masked.length; ) {
      const m = shape.re.exec(masked.slice(from));
      if (!m) break;
      const at = from + m.index;
      from = at + 1;
      const descriptor = unmask(m[1]!).trim();
      // "them", "these", "all" limit nothing: they are the selection itself.
      if (!strip(descriptor) || /^(?:them|these|those|all|each|every|it|the selected|selected|same)$/i.test(strip(descriptor))) continue;
      let before = masked.slice(0, at);
      let phrase = unmask(m[0]).trim().replace(/[,:]$/, '').trim();
      // "for the refunds ones add tag x": the preposition that opened the qualifier belongs to it.
      const opener = /(?:^|\s+)(?:only\s+)?(?:for|on|in|to|of)\s*$/i.exec(before);
      if (opener && (opener.index === 0 || at + m[0].length < masked.length))
        [before, phrase] = [before.slice(0, opener.index), `${opener[0].trim()} ${phrase}`];
      const rest = unmask(before + (before ? ' ' : '') + masked.slice(at + m[0].length))
        .replace(/[^\S\n]+/g, ' ')
        .trim();
      const found = resolveList(descriptor, pool, ctx);
      if (found)
        return { rest, scope: { phrase, label: shape.exclude ? `not ${found.label}` : found.label, test: shape.exclude ? (s) => !found.test(s) : found.test } };
      first ??= { phrase, descriptor, rest };
    }
    if (first) {
      return {
        rest: first.rest,
        unresolved: {
          phrase: first.phrase,
          reason: `"${strip(first.descriptor) || first.descriptor}" matches none of the ${pool.length} selected scenarios by tag, folder, language, agent, personality, name or instructions, so I cannot tell which ones you mean; nothing was changed. Select those scenarios, or name a tag or folder they share.`,
        },
      };
    }
  }
  return {
    scope: null,
    rest: unmask(masked)
      .replace(/[^\S\n]+/g, ' ')
      .trim(),
  };
}

/**
 * Finds the qualifiers that limit a request to some of its scenarios ("the clinic ones except the
 * German ones" is two) and reads each as an exact filter — by scenario name, folder, tag, language,
 * agent, personality, or a word in the name or instructions — or says it cannot, so the request is
 * declined rather than widened. Qualifiers are read against the whole selection (`pool`), so every
 * batch of one job reads them the same way.
 */
export function readScope(request: string, scenarios: PlannerScenario[], ctx: PlannerContext, pool: PlannerScenario[] = scenarios): ScopeReading {
  const found: Scope[] = [];
  let rest = request;
  for (let i = 0; i < 3; i++) {
    const reading = readOne(rest, pool, ctx);
    if ('unresolved' in reading) return reading;
    rest = reading.rest;
    if (!reading.scope) break;
    found.push(reading.scope);
  }
  if (!found.length) return { scope: null, rest };
  if (found.length === 1) return { scope: found[0]!, rest };
  return {
    rest,
    scope: { phrase: found.map((f) => f.phrase).join(' and '), label: found.map((f) => f.label).join(' and '), test: (s) => found.every((f) => f.test(s)) },
  };
}
