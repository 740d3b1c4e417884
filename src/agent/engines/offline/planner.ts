import { LANGUAGE_CODES, languageName, languageWords, resolveLanguage } from '../../../domain/languages.js';
import { escapeRegExp } from '../../../domain/regexp.js';
import { fieldValueErrors, MAX_DURATION_MAX, MAX_DURATION_MIN, NAME_MAX, sameValue } from '../../../domain/scenario.js';
import type { EngineField, NotDone, Suggestion } from '../../../domain/suggestion.js';
import { toolPhrases } from '../../../domain/tools.js';
import type { ImproveOutput, PlannerContext, PlannerScenario } from '../../engine.js';
import { POLITE_ONLY, withoutCourtesy } from './courtesy.js';
import { improveInstructions, instructionRequest } from './instructions.js';
import { readScope } from './scope.js';

type ChangeableField = EngineField;
type Fields = Partial<Record<ChangeableField, unknown>>;

/**
 * The offline improve step's answer: the reply, the suggestions and what it did not do, and
 * whether it understood the whole request (every part carried out, nothing left for a model).
 */
export type ImprovePlan = Pick<ImproveOutput, 'message' | 'suggestions' | 'notDone'> & { understood: boolean };

/** Why an understood part cannot be carried out on one scenario (it is named, never skipped silently). */
type Skip = { skip: string };

/** One understood part of a request: how it changes a scenario, and how to describe it. */
interface Op {
  label: string;
  apply(s: PlannerScenario, current: Fields): Fields | Skip;
  /** What the change leaves undone on the scenarios it changed (e.g. text not translated). */
  leftUndone?(changed: PlannerScenario[]): NotDone | null;
}

type Parsed = { op: Op } | { unsupported: string } | null;

const MODEL_SETTING = 'configure a model (SCENARIST_MODEL, e.g. SCENARIST_MODEL=openai:gpt-4.1-mini; see docs/models.md)';

export const MODEL_HINT =
  'that needs a language model. The offline engine only carries out structured requests (tools, language, max duration, tags, folder, personality, names, first message, expected outcome, information fields, more detailed instructions); to configure a model set SCENARIST_MODEL, e.g. SCENARIST_MODEL=openai:gpt-4.1-mini (see docs/models.md).';

const VERBS = [
  'get rid of',
  'take',
  'mention',
  'shorten',
  'add',
  'remove',
  'delete',
  'drop',
  'set',
  'change',
  'make',
  'use',
  'move',
  'put',
  'rename',
  'limit',
  'tag',
  'enable',
  'disable',
  'allow',
  "don't",
  'do not',
  'prefix',
  'expand',
  'give',
  'switch',
  'translate',
  'cap',
  'untag',
  'rewrite',
  'write',
  'improve',
  'fix',
  'update',
  'replace',
  'include',
  'keep',
  'ensure',
  'label',
  'mark',
  'clear',
  'strip',
  'apply',
  'attach',
  'append',
];
const VERB_ALT = VERBS.map((v) => v.replace(/'/g, "'?")).join('|');

/** Verbs people use for removing, as the parsers read them: "get rid of the x tag", "take the x tag off". */
function plainVerbs(clause: string): string {
  return clause
    .replace(/^(?:get rid of|take off|take away|strip off)\b/i, 'remove')
    .replace(/^(?:turn|switch) on\b|^activate\b/i, 'enable')
    .replace(/^(?:turn|switch) off\b|^deactivate\b/i, 'disable')
    .replace(/^no (?:more )?(.+?\s+tools?)$/i, 'remove $1')
    .replace(/^take\s+(.+?)\s+(?:off|away)(?:\s+(?:of|from)\s+(.+))?$/i, (_, what: string, from?: string) => `remove ${what}${from ? ` from ${from}` : ''}`);
}

/** Splits a request into its parts: lines, semicolons, sentences, and "and"/commas that start a new instruction. */
export function splitRequest(text: string): string[] {
  const protectedQuotes: string[] = [];
  const masked = text.replace(/"[^"]*"|“[^”]*”/g, (m) => `\u0000${protectedQuotes.push(m) - 1}\u0000`);
  const parts = masked
    .split(new RegExp(`\\n|;|[.?!]+\\s+(?=\\S)|(?:,\\s*(?:and\\s+|then\\s+)?|\\s+(?:and|then)\\s+)(?=(?:also\\s+|then\\s+)?(?:${VERB_ALT})\\b)`, 'i'))
    .map((p) => plainVerbs(withoutCourtesy(p.replace(/\u0000(\d+)\u0000/g, (_, i: string) => protectedQuotes[Number(i)]!).trim()).replace(/[.,]+$/, '')))
    .filter((p) => p.length > 0 && !POLITE_ONLY.test(p));
  return parts;
}

/** Words any clause may carry around what it asks: articles, pronouns for the selection, linking words. */
const COMMON_WORDS = [
  'the',
  'a',
  'an',
  'to',
  'from',
  'for',
  'on',
  'of',
  'in',
  'and',
  'or',
  'also',
  'too',
  'them',
  'these',
  'those',
  'it',
  'its',
  'their',
  'all',
  'each',
  'every',
  'one',
  'ones',
  'scenario',
  'scenarios',
  'both',
  'as',
  'well',
  'with',
  'now',
  'here',
];

/** Words of a clause its parser's vocabulary does not account for: a sign it asks more than was understood. */
function unexplained(text: string, vocabulary: ReadonlySet<string>): string[] {
  return text
    .toLowerCase()
    .replace(/"[^"]*"|“[^”]*”/g, ' ')
    .split(/[^\p{L}\p{N}'_-]+/u)
    .filter((w) => w && !vocabulary.has(w) && !COMMON_WORDS.includes(w) && !/^\d+(?:\.\d+)?$/.test(w));
}

const quoted = (t: string) =>
  /"([^"]*)"|“([^”]*)”/
    .exec(t)
    ?.slice(1)
    .find((x) => x !== undefined);
const afterColonOrTo = (t: string) =>
  quoted(t) ??
  /(?::|\bto\b|\bas\b|\bis\b)\s*(.+)$/i
    .exec(t)?.[1]
    ?.trim()
    .replace(/^'(.+)'$/s, '$1');

function toolIdsIn(text: string, ctx: PlannerContext): string[] {
  const t = ` ${text.toLowerCase()} `;
  const found: string[] = [];
  let rest = t;
  for (const [phrase, id] of toolPhrases()) {
    const re = new RegExp(`[^a-z0-9_]${escapeRegExp(phrase)}[^a-z0-9_]`);
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

const TOOL_WORDS: ReadonlySet<string> = new Set([
  'add',
  'remove',
  'delete',
  'drop',
  'disable',
  'enable',
  'allow',
  'give',
  'include',
  'use',
  'take',
  'away',
  'off',
  'without',
  "don't",
  'dont',
  'do',
  'not',
  'tool',
  'tools',
  'option',
  'ability',
  'capability',
  'let',
  'can',
  'able',
  'be',
]);

function parseTools(clause: string, ctx: PlannerContext): Parsed {
  const c = clause.toLowerCase();
  const remove = /^(remove|delete|drop|disable|don'?t allow|do not allow|take away)\b/.test(c) || /\bwithout\b/.test(c);
  const add = /^(add|enable|allow|give|include|use)\b/.test(c);
  if (!add && !remove) return null;
  const mentionsTool = /\btools?\b/.test(c) || toolIdsIn(clause, ctx).length > 0;
  if (!mentionsTool) return null;
  const ids = toolIdsIn(clause, ctx);
  if (!ids.length) return { unsupported: `"${clause}" — I don't know that tool. Known tools: ${ctx.tools.map((t) => t.name).join(', ')}.` };
  // "add the transfer tool to Foo": a word the tool vocabulary does not explain names something unread; never widened to every scenario.
  let rest = ` ${c} `;
  for (const [phrase] of toolPhrases()) rest = rest.split(` ${phrase} `).join(' ');
  for (const tool of ctx.tools) for (const n of [tool.id.toLowerCase(), tool.name.toLowerCase()]) if (n) rest = rest.split(` ${n} `).join(' ');
  const unread = unexplained(rest, TOOL_WORDS);
  if (unread.length)
    return {
      unsupported: `"${clause}" — I could not tell what "${unread.join(' ')}" refers to, so I changed no tools. Select the scenarios to change, or name a tag or folder they share.`,
    };
  if (remove) {
    return {
      op: { label: `removed ${ids.join(', ')}`, apply: (s, cur) => ({ tool_ids: ((cur.tool_ids as string[]) ?? s.tool_ids).filter((t) => !ids.includes(t)) }) },
    };
  }
  return { op: { label: `added ${ids.join(', ')}`, apply: (s, cur) => ({ tool_ids: [...new Set([...((cur.tool_ids as string[]) ?? s.tool_ids), ...ids])] }) } };
}

function parseLanguage(clause: string): Parsed {
  const c = clause.toLowerCase();
  const m =
    /\blanguage\b.*?\b(?:to|:|as|=)\s*([\p{L}-]+)/iu.exec(clause) ??
    /^(?:make|switch|translate|change|set)\b.*?\b(?:to|into|in)\s+([\p{L}-]+)\s*$/iu.exec(clause) ??
    /^(?:make (?:them|it|these|the scenarios?) )([\p{L}]+)$/iu.exec(clause) ??
    /^in ([\p{L}]+)$/iu.exec(clause);
  if (!m) {
    if (!/\blanguage\b/.test(c)) return null;
    const word = languageWords().find((w) => new RegExp(`\\b${w}\\b`).test(c));
    if (!word) return { unsupported: `"${clause}" — say which language, e.g. "set the language to French".` };
    return languageOp(word);
  }
  const code = resolveLanguage(m[1]!);
  if (!code) {
    if (!/\blanguage\b/.test(c) && !languageWords().some((w) => c.includes(w))) return null;
    return {
      unsupported: `"${clause}" — "${m[1]}" is not a supported scenario language (supported: ${LANGUAGE_CODES.length} languages such as English, Spanish, French, German, Portuguese, Italian, Hindi, Japanese).`,
    };
  }
  return languageOp(code);
}

/** The text a simulated caller reads, which a language change leaves in its old language offline. */
const hasCallerText = (s: PlannerScenario) => Boolean(s.first_message.trim() || s.instructions.trim() || s.conditional_actions);

function languageOp(text: string): Parsed {
  const code = resolveLanguage(text)!;
  const name = languageName(code);
  return {
    op: {
      label: `set the language to ${name} (${code})`,
      apply: () => ({ scenario_language: code }),
      leftUndone: (changed) => {
        const n = changed.filter(hasCallerText).length;
        if (!n) return null;
        return {
          part: `translate the caller's text into ${name}`,
          reason: `The offline engine does not translate: the first message, instructions and conditional actions of ${n} scenario(s) stay in their current language, so the simulated caller would still read them untranslated. Translate them before running, or ${MODEL_SETTING}.`,
        };
      },
    },
  };
}

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  hours: 3600,
};
const UNITS: Record<string, number> = { a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9 };
const TEENS: Record<string, number> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const alt = (o: Record<string, number>) => Object.keys(o).join('|');
/** A number in digits or words: "90", "1.5", "ninety", "twenty-five", "two and a half", "half an". */
const NUMBER = `(\\d+(?:\\.\\d+)?|\\b(?:(?:${alt(TENS)})(?:[- ](?:${alt(UNITS)}))?|${alt(TEENS)}|${alt(UNITS)}|half)\\b)(\\s+and\\s+a\\s+half)?`;

function numberValue(text: string): number {
  if (/^\d/.test(text)) return Number(text);
  const [a, b] = text.toLowerCase().split(/[- ]/);
  if (a === 'half') return 0.5;
  return (TENS[a!] ?? TEENS[a!] ?? UNITS[a!] ?? 0) + (b ? (UNITS[b] ?? 0) : 0);
}

/** "5 minutes", "90 seconds", "1.5 min", "an hour", "ninety seconds", "two and a half minutes", "300" → seconds. */
export function parseDuration(text: string): number | undefined {
  const m = new RegExp(`${NUMBER}\\s*(?:an?\\s+)?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?\\b`, 'i').exec(text);
  if (!m) return undefined;
  const n = numberValue(m[1]!) + (m[2] ? 0.5 : 0);
  const unit = m[3] ? UNIT_SECONDS[m[3].toLowerCase()]! : 1;
  return Math.round(n * unit);
}

const DURATION_WORDS: ReadonlySet<string> = new Set([
  ...[
    'set',
    'change',
    'make',
    'limit',
    'cap',
    'keep',
    'max',
    'maximum',
    'duration',
    'call',
    'calls',
    'length',
    'time',
    'at',
    'most',
    'no',
    'longer',
    'than',
    'under',
    'up',
    'is',
    'be',
    'should',
    'last',
    'more',
    'long',
    'half',
    'project',
    "project's",
    'default',
  ],
  ...Object.keys(UNIT_SECONDS),
  ...Object.keys(UNITS),
  ...Object.keys(TEENS),
  ...Object.keys(TENS),
  ...Object.keys(TENS).flatMap((t) => Object.keys(UNITS).map((u) => `${t}-${u}`)),
]);

function parseMaxDuration(clause: string): Parsed {
  const c = clause.toLowerCase();
  if (
    !/\b(max(imum)?[ _-]?duration|duration|call length|length of (?:the |each )?calls?|calls? (?:to|at)|time limit|limit (?:the |each |every )?calls?|cap (?:the |each |every )?calls?|calls? (?:should )?last|max call|project(?:'s)? default)\b/.test(
      c,
    )
  )
    return null;
  if (/\b(remove|clear|unset|no)\b.*\b(duration|limit)\b|\bproject(?:'s)? default\b/.test(c)) {
    return { op: { label: 'removed the max duration (the project default applies)', apply: () => ({ max_duration: null }) } };
  }
  const seconds = parseDuration(c.replace(/max(imum)?[ _-]?duration|duration/g, ' '));
  if (seconds === undefined) return { unsupported: `"${clause}" — say how long, e.g. "max duration 5 minutes".` };
  const unread = unexplained(c.replace(/(\d)(?=[a-z])/g, '$1 '), DURATION_WORDS);
  if (unread.length)
    return {
      unsupported: `"${clause}" — I could not tell what "${unread.join(' ')}" refers to, so I changed no max duration. Select the scenarios to change, or name a tag or folder they share.`,
    };
  if (seconds < MAX_DURATION_MIN || seconds > MAX_DURATION_MAX) {
    return { unsupported: `"${clause}" — ${seconds} s is outside the allowed range of ${MAX_DURATION_MIN}–${MAX_DURATION_MAX} seconds.` };
  }
  return { op: { label: `set the max duration to ${seconds} s`, apply: () => ({ max_duration: seconds }) } };
}

const splitList = (t: string) =>
  t
    .split(/,|\band\b/)
    .map((x) =>
      x
        .trim()
        .replace(/^["'“]|["'”]$/g, '')
        .trim(),
    )
    .filter(Boolean);

/** Words that make a would-be tag a clause of the request rather than a label. */
const CLAUSE_WORDS = new Set([
  'them',
  'it',
  'these',
  'those',
  'the',
  'a',
  'an',
  'where',
  'when',
  'with',
  'for',
  'that',
  'which',
  'who',
  'whose',
  'anything',
  'everything',
  'ones',
  'to',
  'about',
  'if',
  'is',
  'are',
  'sound',
  'sounds',
  'all',
  'except',
  'only',
]);
/** Whole words only: "held-from-the-cli" is one label, "for the angry ones" is a clause. */
const readsAsClause = (tag: string) => {
  const words = tag.toLowerCase().split(/\s+/);
  return words.length > 3 || words.some((w) => CLAUSE_WORDS.has(w));
};

/** Tags as labels: a phrase of at most three words that reads as a label, or the whole clause is refused. */
function tagsOp(list: string, kind: 'add' | 'remove'): Parsed {
  const tags = splitList(list).map((t) => t.slice(0, 100));
  const clauseLike = /^["“']/.test(list.trim()) ? undefined : tags.find(readsAsClause);
  if (!tags.length || clauseLike) {
    return {
      unsupported: `"${clauseLike ?? list}" reads as part of a sentence, not a tag: tags are short labels such as "billing" or "needs-review". Put a tag in quotes to use it as written.`,
    };
  }
  if (kind === 'add')
    return { op: { label: `added tag ${tags.join(', ')}`, apply: (s, cur) => ({ tags: [...new Set([...((cur.tags as string[]) ?? s.tags), ...tags])] }) } };
  const gone = new Set(tags.map((t) => t.toLowerCase()));
  return {
    op: {
      label: `removed tag ${tags.join(', ')}`,
      apply: (s, cur) => ({ tags: ((cur.tags as string[]) ?? s.tags).filter((t) => !gone.has(t.toLowerCase())) }),
    },
  };
}

// The word orders people use: "add tag x", "add the x tag", "add a tag called x", "tag them as x",
// "remove the x tag", "delete the tag x", "untag x", "remove x from the tags".
const ADD_TAG = [
  /^(?:add|set|apply|attach|give (?:them|it)?)\s+(?:a\s+|the\s+|new\s+)?tags?\s*(?:called|named|of)?\s*:?\s*(.+)$/i,
  /^(?:add|apply|attach)\s+(?:a\s+|the\s+)?(.+?)\s+tags?$/i,
  /^(?:tag|label|mark)\s+(?:them(?: all)?|it|these|all(?: of them)?|each(?: one)?|every ?one|everything|every scenario|all (?:the |of the )?scenarios|the scenarios?)?\s*(?:as|with)?\s*:?\s*(.+)$/i,
];
const REMOVE_TAG = [
  /^(?:remove|delete|drop|strip|clear)\s+(?:the\s+)?(?:tags?)\s*(?!.*\bfrom\b)(?:called|named)?\s*:?\s*(.+)$/i,
  /^(?:remove|delete|drop)\s+(?:the\s+)?(.+?)\s+from\s+(?:the\s+|their\s+|its\s+)?tags$/i,
  /^(?:remove|delete|drop|strip)\s+(?:the\s+)?(.+?)\s+tags?(?:\s+from\s+(?:them|it|these|the scenarios?))?$/i,
  /^untag\s+(?:them\s+|it\s+)?(?:from\s+)?(.+)$/i,
];

function parseTags(clause: string): Parsed {
  const c = clause.toLowerCase();
  if (
    /^(remove|delete|clear|drop|strip) (?:all (?:of )?(?:the |their )?|every |each )tags?\b/.test(c) ||
    /^(remove|delete|clear|drop)\s+(?:the\s+|their\s+)?tags(?:\s+from\s+(?:them|it|these|the scenarios?))?$/.test(c)
  )
    return { op: { label: 'removed all tags', apply: () => ({ tags: [] }) } };
  for (const re of REMOVE_TAG) {
    const m = re.exec(clause);
    if (m) return tagsOp(m[1]!, 'remove');
  }
  for (const re of ADD_TAG) {
    const m = re.exec(clause);
    if (m) return tagsOp(m[1]!, 'add');
  }
  return null;
}

function parseFolder(clause: string, ctx: PlannerContext): Parsed {
  const c = clause.toLowerCase();
  if (!/\bfolder\b/.test(c)) return null;
  if (/^(?:remove|take)\s+(?:them|it|these|those|all|the scenarios?)?\s*(?:out\s+of|from)\s+(?:the\s+|their\s+|its\s+|any\s+)?folders?$|\bno folder\b/.test(c))
    return { op: { label: 'removed from their folder', apply: () => ({ folder_path: null }) } };
  const m =
    quoted(clause) ??
    /\bfolder\s+(?:to\s+|:\s*|=\s*|called\s+|named\s+)?([\w. -]+?)\s*$/i.exec(clause)?.[1] ??
    /\b(?:in|into|to)\s+(?:the\s+)?([\w. -]+?)\s+folder\b/i.exec(clause)?.[1];
  if (!m) return { unsupported: `"${clause}" — say which folder, e.g. "move to folder Sales.Inbound".` };
  const path = ctx.folders.find((f) => f.toLowerCase() === m.trim().toLowerCase());
  if (!path) return { unsupported: `"${clause}" — folder "${m.trim()}" does not exist; create it first (scenarios/create_folder/).` };
  return { op: { label: `moved to folder ${path}`, apply: () => ({ folder_path: path }) } };
}

function parsePersonality(clause: string, ctx: PlannerContext): Parsed {
  const c = clause.toLowerCase();
  const m =
    /\bpersonality\b\s*(?:to|:)?\s*(.*)$/i.exec(clause) ??
    /^(?:use|make)\s+(?:the\s+)?(.+?)\s+personality$/i.exec(clause) ??
    /^make the caller(?:s)?\s+(?:an?\s+)?(.+)$/i.exec(clause);
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

const INFO = '(?:info(?:rmation)?[ _-]?fields?)';

/** "set the information field account_number to "55512"", "remove the bag_tag information field": one key, the others kept. */
function parseInformationFields(clause: string): Parsed {
  if (!new RegExp(`\\b${INFO}\\b`, 'i').test(clause)) return null;
  const key = '["“]?([\\p{L}\\p{N}_.-]+)["”]?';
  const remove = new RegExp(`^(?:remove|delete|drop|clear)\\s+(?:the\\s+)?(?:${INFO}\\s+)?${key}(?:\\s+${INFO})?(?:\\s+from\\s+.+)?$`, 'iu').exec(clause);
  if (remove && !/^(?:info|information)$/i.test(remove[1]!)) {
    const k = remove[1]!;
    return {
      op: {
        label: `removed information field ${k}`,
        apply: (s) =>
          k in (s.information_fields ?? {}) ? { information_fields: Object.fromEntries(Object.entries(s.information_fields).filter(([x]) => x !== k)) } : {},
      },
    };
  }
  const set = new RegExp(
    `^(?:set|add|change|update|put|use|give)\\s+(?:an?\\s+|the\\s+)?(?:new\\s+)?${INFO}\\s+${key}\\s*(?:to|=|:|as|with(?:\\s+(?:the\\s+)?value)?)\\s*(.+)$`,
    'iu',
  ).exec(clause);
  if (!set) return { unsupported: `"${clause}" — say which field and value, e.g. set the information field account_number to "55512".` };
  const [k, raw] = [set[1]!, set[2]!.trim()];
  const value = /^["“]/.test(raw) ? unquote(raw) : raw.replace(/[.]+$/, '');
  return {
    op: {
      label: `set information field ${k}`,
      apply: (s, cur) => ({ information_fields: { ...((cur.information_fields as Record<string, unknown>) ?? s.information_fields ?? {}), [k]: value } }),
    },
  };
}

type Condition = { id: number; condition: unknown; action: string; type?: string; fixed_message?: boolean };

/** The first message of a conditional-actions scenario lives in its FIRST_MESSAGE condition too: edited in place, the rest kept. */
function withFirstMessage(s: PlannerScenario, value: string): Fields {
  const ca = s.conditional_actions as { role: string; conditions: Condition[] } | null;
  if (s.scenario_type !== 'conditional_actions' || !ca?.conditions?.length) return { first_message: value };
  const conditions = ca.conditions.map((c) => (c.condition === 'FIRST_MESSAGE' ? { ...c, action: value } : c));
  return { first_message: value, conditional_actions: { ...ca, conditions } };
}

const TEXT_WORDS: ReadonlySet<string> = new Set([
  'set',
  'change',
  'make',
  'use',
  'update',
  'should',
  'be',
  'is',
  'to',
  'as',
  'prompt',
  'say',
  'says',
  'read',
  'reads',
  'new',
  'text',
  'message',
  'line',
  'first',
  'opening',
  'greeting',
  'opener',
  'sentence',
  'expected',
  'outcome',
]);

function textOp(clause: string, field: 'first_message' | 'expected_outcome_prompt', pattern: RegExp, label: string): Parsed {
  if (!pattern.test(clause)) return null;
  const after = clause.replace(pattern, '');
  const value = afterColonOrTo(after);
  if (!value) return { unsupported: `"${clause}" — put the new text in quotes, e.g. ${label} "…".` };
  // "set the expected outcome for X to "…"": words before the new text that say which scenarios were not read, so nothing is widened.
  const lead = quoted(after) !== undefined ? after.slice(0, after.search(/["“]/)) : after.slice(0, /(?::|\bto\b|\bas\b|\bis\b)/i.exec(after)?.index ?? 0);
  const unread = unexplained(lead, TEXT_WORDS);
  if (unread.length)
    return {
      unsupported: `"${clause}" — I could not tell what "${unread.join(' ')}" refers to, so I changed no ${label}. Select the scenarios to change, or name a tag or folder they share.`,
    };
  if (field === 'first_message') return { op: { label: `set the ${label}`, apply: (s) => withFirstMessage(s, value) } };
  return { op: { label: `set the ${label}`, apply: () => ({ [field]: value }) } };
}

const unquote = (t: string) =>
  t
    .trim()
    .replace(/^["“](.*)["”]$/s, '$1')
    .trim();

function parseRename(clause: string, targets: PlannerScenario[]): Parsed {
  const count = targets.length;
  const prefix = /^(?:prefix (?:the |every |each |all (?:the )?)?(?:scenario )?names? with|add (?:the |a )?prefix)\s*:?\s*(.+)$/i.exec(clause);
  if (prefix) {
    const raw = (quoted(clause) ?? prefix[1]!.replace(/\s+to\s+(?:the\s+|their\s+|all\s+(?:the\s+)?|every\s+|each\s+)?(?:scenario\s+)?names?$/i, '')).replace(
      /^["“]|["”]$/g,
      '',
    );
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
  // "rename "Seat upgrade" to "Seat upgrade at check-in"": one scenario, named as the selection names it.
  const pair = /^rename\s+(?:the\s+scenario\s+)?("[^"]+"|“[^”]+”|.+?)\s+(?:to|as|into)\s+("[^"]+"|“[^”]+”|.+)$/i.exec(clause);
  if (pair) {
    const from = unquote(pair[1]!);
    const to = unquote(pair[2]!).slice(0, NAME_MAX).trim();
    const target = targets.find((t) => t.name.trim().toLowerCase() === from.toLowerCase());
    if (target && to) return { op: { label: `renamed "${target.name}" to "${to}"`, apply: (s) => (s.id === target.id ? { name: to } : {}) } };
    if (/^["“]/.test(pair[1]!)) return { unsupported: `"${clause}" — none of the selected scenarios is named "${from}".` };
  }
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
        // A conditional-actions scenario is driven by its conditions, which are never rebuilt offline.
        if (s.scenario_type === 'conditional_actions') {
          return {
            skip: `it is a conditional-actions scenario: its conditions drive the caller and were kept as they are; editing them that way needs a language model`,
          };
        }
        const current = { ...s, ...(cur as Partial<PlannerScenario>) };
        const personality = ctx.personalities.find((p) => p.id === current.personality);
        const out = improveInstructions(current.instructions, clause, current, { agent: ctx.agent, personality });
        if (out.notDone.length) return { skip: out.notDone.map((n) => n.reason).join(' ') };
        if (out.instructions === current.instructions && r.kind === 'shorter') {
          return {
            skip: 'the offline rules only drop notes that repeat the structured sections, and nothing repeats here; a shorter rewrite needs a language model',
          };
        }
        return { instructions: out.instructions };
      },
    },
  };
}

/** Reads one part of a request; the first rule that recognises it wins. */
function parseClause(clause: string, ctx: PlannerContext, targets: PlannerScenario[]): Parsed {
  return (
    parseInformationFields(clause) ??
    textOp(
      clause,
      'first_message',
      /^(?:set|change|make|use|update)?\s*(?:the\s+)?(?:first message|opening (?:line|message|sentence)|first line|greeting|opener)\b/i,
      'first message',
    ) ??
    textOp(clause, 'expected_outcome_prompt', /^(?:set|change|make|use)?\s*(?:the\s+)?expected outcome(?: prompt)?\b/i, 'expected outcome') ??
    parseRename(clause, targets) ??
    parseInstructions(clause, ctx) ??
    parseMaxDuration(clause) ??
    parseTags(clause) ??
    parseFolder(clause, ctx) ??
    parseTools(clause, ctx) ??
    parsePersonality(clause, ctx) ??
    parseLanguage(clause)
  );
}

const scenariosWord = (n: number) => (n === 1 ? 'scenario' : 'scenarios');

/** "\"x\" — why" as the parsers word it, split into the part and its reason. */
function notDoneOf(clause: string, text: string): NotDone {
  const prefix = `"${clause}" — `;
  return { part: clause, reason: text.startsWith(prefix) ? text.slice(prefix.length) : text };
}

/**
 * The offline engine's improve step: understands the structured requests people make most, applies
 * them to each scenario and proposes only real differences. A qualifier ("only the billing ones")
 * becomes an exact filter the reply states, or the request is declined; every part not carried out
 * is listed in `notDone` with why, never guessed at and never claimed.
 */
export function planImprovement(userMessage: string, scenarios: PlannerScenario[], ctx: PlannerContext, selection: PlannerScenario[] = scenarios): ImprovePlan {
  const reading = readScope(withoutCourtesy(userMessage), scenarios, ctx, selection);
  if ('unresolved' in reading) {
    const notDone = [{ part: userMessage.trim(), reason: `The request is limited to "${reading.unresolved.phrase}": ${reading.unresolved.reason}` }];
    return { message: `I did not change anything. ${notDone[0]!.reason}`, suggestions: [], notDone, understood: false };
  }
  const scope = reading.scope;
  const targets = scope ? scenarios.filter(scope.test) : scenarios;
  const ops: Array<Op & { part: string }> = [];
  const notDone: NotDone[] = [];
  for (const clause of splitRequest(reading.rest)) {
    const parsed = parseClause(clause, ctx, targets);
    if (parsed && 'op' in parsed) ops.push({ ...parsed.op, part: clause });
    else notDone.push(notDoneOf(clause, parsed ? parsed.unsupported : `"${clause}" — ${MODEL_HINT}`));
  }
  if (!ops.length && !notDone.length) notDone.push({ part: userMessage.trim() || '(empty request)', reason: 'There is nothing in the request to carry out.' });

  const counts = new Map<string, number>();
  const skipped = new Map<string, { part: string; reason: string; n: number }>();
  const changedBy = new Map<Op, PlannerScenario[]>();
  const changes: Suggestion[] = [];
  const rejected = new Set<string>();
  for (const s of targets) {
    let fields: Fields = {};
    const why: Partial<Record<ChangeableField, string>> = {};
    for (const op of ops) {
      const next = op.apply(s, fields);
      if ('skip' in next) {
        const key = `${op.part}\u0000${next.skip}`;
        const seen = skipped.get(key) ?? { part: op.part, reason: next.skip, n: 0 };
        seen.n++;
        skipped.set(key, seen);
        continue;
      }
      const real = Object.entries(next).some(
        ([k, v]) => !sameValue(v, (s as unknown as Record<string, unknown>)[k]) && !sameValue(v, fields[k as ChangeableField]),
      );
      fields = { ...fields, ...next };
      if (real) {
        // Each change says which edits of the request made it.
        for (const [k, v] of Object.entries(next) as Array<[ChangeableField, unknown]>) {
          if (!sameValue(v, (s as unknown as Record<string, unknown>)[k])) why[k] = why[k] ? `${why[k]}; ${op.label}` : op.label;
        }
        counts.set(op.label, (counts.get(op.label) ?? 0) + 1);
        changedBy.set(op, [...(changedBy.get(op) ?? []), s]);
      }
    }
    const diff: Fields = {};
    for (const [k, v] of Object.entries(fields) as Array<[ChangeableField, unknown]>) {
      if (sameValue(v, (s as unknown as Record<string, unknown>)[k])) continue;
      // Never propose a value the Scenario rules would refuse (e.g. a list grown past its limit).
      const errors = fieldValueErrors(k, v);
      if (errors.length) rejected.add(`${k}: ${errors.join(' ')}`);
      else diff[k] = v;
    }
    const proposed = (Object.entries(diff) as Array<[ChangeableField, unknown]>).map(([field, value]) => ({
      field,
      value,
      ...(why[field] ? { reason: why[field] } : {}),
    }));
    if (proposed.length) changes.push({ scenario_id: s.id, based_on_revision: s.revision, changes: proposed, notes: [] });
  }
  for (const { part, reason, n } of skipped.values())
    notDone.push({ part, reason: `Not done on ${n} of ${targets.length} ${scenariosWord(targets.length)}: ${reason}.` });
  for (const op of ops) {
    const undone = op.leftUndone?.(changedBy.get(op) ?? []);
    if (undone) notDone.push(undone);
  }
  for (const r of rejected) notDone.push({ part: r.split(':')[0]!, reason: `A change to ${r} — left out because the value would not be valid.` });

  const parts: string[] = [];
  if (scope) {
    parts.push(
      `You limited the request to ${scope.phrase.replace(/^(?:to|for|on|from|in|of)\s+/i, '')}: I read that as the scenarios ${scope.label}, ${targets.length} of the ${scenarios.length} selected; the others are left as they are.`,
    );
  }
  if (changes.length) {
    const done = [...counts].map(([label, n]) => `${label} on ${n}`).join(', ');
    parts.push(
      `I suggest changes to ${changes.length} of ${targets.length} ${scenariosWord(targets.length)}: ${done}. Review them and apply the ones you want.`,
    );
  } else if (!targets.length) {
    parts.push(scope ? 'None of the selected scenarios is in that group, so there is nothing to change.' : 'There are no scenarios to change.');
  } else if (ops.length && !skipped.size && ops.every((o) => !counts.has(o.label))) {
    parts.push(`Nothing to change: the ${scenariosWord(targets.length)} already match what you asked (${ops.map((o) => o.label).join(', ')}).`);
  } else {
    parts.push('I did not change anything.');
  }
  if (notDone.length) parts.push(`Not done:\n${notDone.map((n) => `- "${n.part}": ${n.reason}`).join('\n')}`);
  return { message: parts.join('\n\n'), suggestions: changes, notDone, understood: notDone.length === 0 && ops.length > 0 };
}
