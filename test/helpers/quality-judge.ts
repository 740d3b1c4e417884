import { AGENTS, type Library } from '../fixtures/quality-library.js';

/**
 * What a careful reviewer checks in every caller-facing text, shared by the suggestion-quality
 * suites: the simulated caller must never read the grader's rubric nor the agent's internals.
 */

/** Sentences of every agent description that state internal policy: the simulated caller must never read them. */
export const INTERNALS = Object.values(AGENTS).flatMap((a) => a.description.split(/(?<=\.)\s+/).filter((t) => /internal|never|do not|only after/i.test(t)));

/** Caller-facing text of a suggestion or draft: what the simulated caller reads. */
export function callerText(x: Record<string, unknown>): string {
  const ca = x.conditional_actions as { role?: string; conditions?: Array<{ action?: string }> } | null | undefined;
  return [x.instructions, x.first_message, ca?.role, ...(ca?.conditions ?? []).map((c) => c.action)].filter((t) => typeof t === 'string').join('\n');
}

/** What the simulated caller reads must not carry the grading text nor the agent's internals. */
export function leaks(text: string, outcome: string): string[] {
  const out: string[] = [];
  const low = text.toLowerCase();
  if (outcome.trim().length > 12 && low.includes(outcome.trim().toLowerCase().replace(/\.$/, '')))
    out.push(`caller text carries the expected outcome "${outcome}"`);
  for (const internal of INTERNALS)
    if (low.includes(internal.toLowerCase().replace(/\.$/, '').slice(0, 60))) out.push(`caller text carries the agent's internal policy "${internal}"`);
  return out;
}

/** A request for drafts, as the suites judge it. */
export interface DraftCase {
  name: string;
  agent: keyof Library['agents'];
  /** The request, then answers to any clarifying questions, one turn each. */
  turns: string[];
  num: number;
  language?: string;
  /** Each must be what some draft is about. */
  topics?: RegExp[];
}
