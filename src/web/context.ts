import { ApiError, type ScenaristClient } from '../client/index.js';
import { byId, fill, h } from './dom.js';

/** What every part of the page shares: the signed-in client, the open project and session. */
export interface PageContext {
  client: ScenaristClient;
  projectId: number;
  sessionId: number | null;
  /** Re-reads the open session's conversation (after a job added turns to it). */
  refreshConversation(): Promise<void>;
  /** Re-reads the project's session list. */
  refreshSessions(): Promise<void>;
  /** Opens a session, or the blank "new conversation" view with null. */
  openSession(id: number | null): Promise<void>;
  /** A request sent from the blank view started a session: the address follows. */
  onSessionOpened?(id: number): void;
}

/** A refused request's message as a person reads it: field errors one per line. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return 'The server could not be reached. Check that it is running and try again.';
    if (e.status === 401) return 'This API key was not accepted.';
    const fields = e.fieldErrors;
    if (fields)
      return Object.entries(fields)
        .map(([f, m]) => (f === 'non_field_errors' ? m.join(' ') : `${f}: ${m.join(' ')}`))
        .join('\n');
    return e.detail ?? e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Shows an error in the page's alert region (announced by screen readers at once). */
export function showError(e: unknown): void {
  // Leaving a conversation stops following its job on purpose: that is not an error to show.
  if (e instanceof DOMException && e.name === 'AbortError') return;
  fill(byId('errors'), h('strong', {}, 'Error: '), errorText(e), ' ', h('button', { type: 'button', onclick: () => clearError() }, 'Dismiss'));
}

export function clearError(): void {
  byId('errors').replaceChildren();
}

/** Runs an action from a button, showing what went wrong instead of failing silently. */
export function guarded<A extends unknown[]>(fn: (...args: A) => Promise<unknown>): (...args: A) => void {
  return (...args) => {
    clearError();
    fn(...args).catch(showError);
  };
}
