/**
 * Courtesy around a request ("could you please …", "… thanks!") asks for nothing itself: the
 * offline planner and drafts read what is left.
 */
const POLITE_LEAD =
  /^(?:(?:hey|hi|hello|ok(?:ay)?|so|now)[,!]?\s+)?(?:(?:could|can|would|will) you(?:\s+please)?|please|pls|plz|kindly|i(?:'d| would) like (?:you )?to|i want (?:you )?to|i need (?:you )?to|go ahead and|just|also|and|then)\s+/i;
const POLITE_TAIL = /(?:[,\s]+(?:please|pls|plz|thanks(?: a lot)?|thank you|thx|ty|cheers))+\s*[.!?]*$|\s*[?!]+$/i;
export const POLITE_ONLY = /^(?:please|pls|plz|thanks(?: a lot)?|thank you(?: so much)?|thx|ty|cheers|ok(?:ay)?|that'?s all)[.!]*$/i;

/** A request without its courtesy: what is left is what it asks for. */
export function withoutCourtesy(text: string): string {
  let t = text.trim();
  for (let i = 0; i < 4; i++) {
    const next = t.replace(POLITE_LEAD, '').replace(POLITE_TAIL, '').trim();
    if (next === t) break;
    t = next;
  }
  return t;
}
