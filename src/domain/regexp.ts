/** Text matched literally inside a RegExp built from it (names, phrases, language words). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
