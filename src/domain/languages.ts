import { escapeRegExp } from './regexp.js';

/** The seed's 43 `scenario_language` codes with their English names, in the seed's order. */
export const LANGUAGES = [
  ['af', 'Afrikaans'],
  ['ar', 'Arabic'],
  ['bn', 'Bengali'],
  ['bg', 'Bulgarian'],
  ['zh', 'Chinese Simplified'],
  ['cs', 'Czech'],
  ['da', 'Danish'],
  ['nl', 'Dutch'],
  ['en', 'English'],
  ['et', 'Estonian'],
  ['fi', 'Finnish'],
  ['fr', 'French'],
  ['de', 'German'],
  ['el', 'Greek'],
  ['gu', 'Gujarati'],
  ['hi', 'Hindi'],
  ['he', 'Hebrew'],
  ['hu', 'Hungarian'],
  ['id', 'Indonesian'],
  ['it', 'Italian'],
  ['ja', 'Japanese'],
  ['kn', 'Kannada'],
  ['ko', 'Korean'],
  ['ms', 'Malay'],
  ['ml', 'Malayalam'],
  ['mr', 'Marathi'],
  ['multi', 'Multilingual'],
  ['no', 'Norwegian'],
  ['pl', 'Polish'],
  ['pa', 'Punjabi'],
  ['pt', 'Portuguese'],
  ['ro', 'Romanian'],
  ['ru', 'Russian'],
  ['sk', 'Slovak'],
  ['es', 'Spanish'],
  ['sv', 'Swedish'],
  ['th', 'Thai'],
  ['tr', 'Turkish'],
  ['tl', 'Tagalog'],
  ['ta', 'Tamil'],
  ['te', 'Telugu'],
  ['uk', 'Ukrainian'],
  ['vi', 'Vietnamese'],
] as const;

export type LanguageCode = (typeof LANGUAGES)[number][0];
export const LANGUAGE_CODES = LANGUAGES.map(([code]) => code) as unknown as readonly [LanguageCode, ...LanguageCode[]];

const NAME_BY_CODE = new Map<string, string>(LANGUAGES);

// Names people write that differ from the seed's labels.
const ALIASES: Record<string, LanguageCode> = {
  chinese: 'zh',
  mandarin: 'zh',
  filipino: 'tl',
  norwegian: 'no',
  bokmal: 'no',
  bokmål: 'no',
  multilingual: 'multi',
  español: 'es',
  espanol: 'es',
  castilian: 'es',
  français: 'fr',
  francais: 'fr',
  deutsch: 'de',
  italiano: 'it',
  português: 'pt',
  portugues: 'pt',
  brazilian: 'pt',
  nederlands: 'nl',
  flemish: 'nl',
  hebrew: 'he',
  'simplified chinese': 'zh',
};

export function languageName(code: string): string {
  return NAME_BY_CODE.get(code) ?? code;
}

export function isLanguageCode(value: string): value is LanguageCode {
  return NAME_BY_CODE.has(value);
}

/** Resolves "French", "fr", "FR" or "français" to a seed code; undefined when it names no language we know. */
export function resolveLanguage(text: string): LanguageCode | undefined {
  const t = text.trim().toLowerCase();
  if (isLanguageCode(t)) return t;
  if (ALIASES[t]) return ALIASES[t];
  for (const [code, name] of LANGUAGES) if (name.toLowerCase() === t) return code;
  return undefined;
}

/** Every spelling `resolveLanguage` accepts as a whole word, longest first, for scanning free text. */
export function languageWords(): string[] {
  const words = [...LANGUAGES.map(([, name]) => name.toLowerCase()), ...Object.keys(ALIASES)];
  return [...new Set(words)].sort((a, b) => b.length - a.length);
}

/**
 * The language a request asks scenarios to be in: "in Spanish", "German callers", "Spanish-speaking
 * patients", or a reply that is only a language ("French."). Returns the phrase found too, so the
 * rest of the request can be read without it.
 */
export function languageAskedFor(text: string): { code: LanguageCode; phrase: string } | undefined {
  const whole = resolveLanguage(text.replace(/[.!]+$/, '').replace(/^(?:in\s+)/i, ''));
  if (whole) return { code: whole, phrase: text.trim() };
  for (const w of languageWords()) {
    const word = escapeRegExp(w);
    const m =
      new RegExp(`\\b(?:in|into)\\s+${word}\\b`, 'iu').exec(text) ??
      new RegExp(`\\b${word}(?:[- ]speaking)?\\s+(?:callers?|speakers?|customers?|patients?|passengers?|users?|people|clients?)\\b`, 'iu').exec(text) ??
      // "2 French scenarios about …": only the language word is the phrase, so "scenarios about …" still reads as the request.
      new RegExp(`\\b${word}(?=\\s+(?:scenarios?|tests?|test cases?|cases?|drafts?|calls?|conversations?)\\b)`, 'iu').exec(text);
    if (m) return { code: resolveLanguage(w)!, phrase: m[0] };
  }
  return undefined;
}
