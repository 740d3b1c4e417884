/**
 * The predefined tools a simulated caller may use. Organizations may define more (the `tools`
 * resource); a scenario's `tool_ids` may name either.
 */
export const PREDEFINED_TOOLS = [
  { id: 'TOOL_END_CALL', name: 'End call', description: 'Hang up when the conversation is over.' },
  { id: 'TOOL_END_CALL_ONLY_ON_TRANSFER', name: 'End call only on transfer', description: 'Hang up only once the call has been transferred.' },
  { id: 'TOOL_DTMF', name: 'DTMF', description: 'Press keypad digits to navigate an IVR menu.' },
  { id: 'TOOL_TRANSFER_CALL', name: 'Transfer call', description: 'Ask for and follow a transfer to another line.' },
  { id: 'TOOL_HOLD', name: 'Hold', description: 'Wait on hold without speaking.' },
] as const;

export type PredefinedToolId = (typeof PREDEFINED_TOOLS)[number]['id'];
export const PREDEFINED_TOOL_IDS: ReadonlySet<string> = new Set(PREDEFINED_TOOLS.map((t) => t.id));

// Plain names people use for each tool, matched as whole phrases in lower case.
const SYNONYMS: Record<PredefinedToolId, string[]> = {
  TOOL_END_CALL: ['end call', 'end-call', 'endcall', 'hang up', 'hangup', 'end the call'],
  TOOL_END_CALL_ONLY_ON_TRANSFER: ['end call only on transfer', 'end call on transfer', 'hang up on transfer', 'hang up after transfer'],
  TOOL_DTMF: ['dtmf', 'keypad', 'key press', 'keypress', 'touch tone', 'touch-tone', 'press keys', 'ivr'],
  TOOL_TRANSFER_CALL: ['transfer', 'transfer call', 'call transfer', 'transfer the call'],
  TOOL_HOLD: ['hold', 'on hold', 'hold music'],
};

/** Phrase → tool id, longest phrase first so "end call only on transfer" wins over "transfer". */
export function toolPhrases(): Array<[string, PredefinedToolId]> {
  const pairs: Array<[string, PredefinedToolId]> = [];
  for (const [id, words] of Object.entries(SYNONYMS) as Array<[PredefinedToolId, string[]]>) {
    pairs.push([id.toLowerCase(), id]);
    for (const w of words) pairs.push([w, id]);
  }
  return pairs.sort((a, b) => b[0].length - a[0].length);
}
