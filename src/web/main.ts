import { type Project, ScenaristClient, type SessionDetail } from '../client/index.js';
import { changesetsPanel } from './changesets.js';
import { type Composer, renderComposer } from './composer.js';
import { clearError, errorText, guarded, type PageContext, showError } from './context.js';
import { byId, fill, h, uid } from './dom.js';
import { DOING, followToResult, showFailure, showResult } from './outcome.js';

// The key lives for this tab only: closing it signs out, and no other page or tab can read it.
const KEY = 'scenarist.apiKey';
const PROJECT = 'scenarist.project';

/** The place the address names: `#/projects/3/conversations/12`, so a reload keeps it and a link can be shared. */
function placeInAddress(): { projectId?: number; sessionId?: number } {
  const m = /^#\/projects\/(\d+)(?:\/conversations\/(\d+))?\/?$/.exec(location.hash);
  return m ? { projectId: Number(m[1]), sessionId: m[2] ? Number(m[2]) : undefined } : {};
}

function showPlace(projectId: number, sessionId: number | null): void {
  const hash = `#/projects/${projectId}${sessionId !== null ? `/conversations/${sessionId}` : ''}`;
  if (location.hash !== hash) history.pushState(null, '', hash);
}

/** What waits in a conversation, in words: "To review: 12", "Applied", "Running"… */
const REVIEW_WORDS: Record<string, string> = {
  applied: 'Applied',
  partly_applied: 'Partly applied',
  discarded: 'Discarded',
  failed: 'Failed',
  running: 'Running',
};
export function reviewWords(s: { review_state: string | null; review_count: number | null; status: string }): string {
  if (s.review_state === 'to_review') return `To review: ${s.review_count ?? 0}`;
  return s.review_state
    ? REVIEW_WORDS[s.review_state]!
    : s.status === 'pending'
      ? 'Waiting for your answer'
      : s.status === 'cancelled'
        ? 'Cancelled'
        : 'Nothing to review';
}

function signIn(): void {
  const input = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true });
  const message = h('p', { role: 'status', 'aria-live': 'polite', class: 'hint' });
  const form = h(
    'form',
    { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, 'Sign in'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { class: 'hint' }, 'The key printed when the server first started, or one from `scenarist keys create`. It is kept in this tab only.'),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    message,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearError();
    const key = input.value.trim();
    message.textContent = 'Checking the key…';
    void enter(key).then((ok) => {
      if (!ok) message.textContent = '';
    });
  });
  fill(byId('account'));
  fill(byId('main'), form);
  input.focus();
}

/** Opens the page with a key; answers false (and shows why) when the key is refused. */
async function enter(key: string): Promise<boolean> {
  const client = new ScenaristClient({ baseUrl: location.origin, apiKey: key });
  let projects: Project[];
  try {
    projects = await client.projects.list();
  } catch (e) {
    showError(e);
    return false;
  }
  sessionStorage.setItem(KEY, key);
  if (!projects.length) {
    showError(new Error('This organization has no project yet: create one through the API first.'));
    return false;
  }
  const place = placeInAddress();
  const saved = place.projectId ?? Number(sessionStorage.getItem(PROJECT));
  const project = projects.find((p) => p.id === saved) ?? projects[0]!;
  const select = h(
    'select',
    { id: 'project' },
    projects.map((p) => h('option', { value: p.id }, p.name)),
  );
  select.value = String(project.id);
  const signOut = h('button', { type: 'button' }, 'Sign out');
  signOut.addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(PROJECT);
    location.reload();
  });
  fill(byId('account'), h('label', { for: 'project' }, 'Project'), select, signOut);
  select.addEventListener(
    'change',
    guarded(() => openProject(client, Number(select.value), null)),
  );
  // Back and forward move between the places the address has named.
  window.addEventListener('popstate', () => {
    const p = placeInAddress();
    if (!p.projectId || !projects.some((x) => x.id === p.projectId)) return;
    select.value = String(p.projectId);
    void openProject(client, p.projectId, p.sessionId ?? null, false).catch(showError);
  });
  await openProject(client, project.id, project.id === place.projectId ? (place.sessionId ?? null) : null).catch(showError);
  return true;
}

async function openProject(client: ScenaristClient, projectId: number, sessionId: number | null, record = true): Promise<void> {
  sessionStorage.setItem(PROJECT, String(projectId));
  const sessionList = h('ul', { 'data-testid': 'sessions' });
  const newButton = h('button', { type: 'button', class: 'primary' }, 'New conversation');
  const work = h('section', { 'aria-label': 'Conversation' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  fill(
    byId('main'),
    h(
      'div',
      { class: 'layout' },
      h('nav', { class: 'sessions', 'aria-labelledby': 'sessions-title' }, h('h2', { id: 'sessions-title' }, 'Conversations'), newButton, sessionList),
      work,
    ),
    status,
  );

  let following: AbortController | null = null;
  let turns: HTMLOListElement | null = null;
  let title: HTMLElement | null = null;
  let reviewHost: HTMLElement | undefined;
  let appliedHost: HTMLElement | undefined;
  let opening = 0;
  let recordPlace = record;

  const ctx: PageContext = {
    client,
    projectId,
    sessionId: null,
    async refreshSessions() {
      const sessions = await client.sessions.list(projectId);
      const titles = new Map<string, number>();
      for (const s of sessions) titles.set(s.title, (titles.get(s.title) ?? 0) + 1);
      fill(
        sessionList,
        sessions.length
          ? sessions.map((s) => {
              // A request made more than once is told apart by its scenarios and its number.
              const repeated = (titles.get(s.title) ?? 0) > 1;
              const title = `${s.title || `Conversation ${s.id}`}${repeated ? ` (${s.scenario_ids.length} scenario(s), #${s.id})` : ''}`;
              const state = reviewWords(s);
              const a = h(
                'a',
                {
                  href: `#/projects/${projectId}/conversations/${s.id}`,
                  class: 'session',
                  'aria-current': s.id === ctx.sessionId ? 'page' : null,
                  'data-review': s.review_state ?? '',
                },
                title,
                h('span', { class: `meta review-${s.review_state ?? 'none'}`, 'data-testid': 'review-state' }, state),
                h('span', { class: 'meta' }, `${s.message_count} message(s) · ${new Date(s.updated_at).toLocaleString()}`),
              );
              a.addEventListener('click', (e) => {
                e.preventDefault();
                guarded(() => ctx.openSession(s.id))();
              });
              return h('li', {}, a);
            })
          : h('li', { class: 'empty' }, 'No conversations yet: pick scenarios, say what should change, and Send.'),
      );
    },
    async refreshConversation() {
      if (ctx.sessionId === null || !turns) return;
      const detail = await client.sessions.get(ctx.sessionId);
      if (title) title.textContent = detail.title || `Conversation ${detail.id}`;
      renderTurns(turns, detail, reviewHost);
      if (appliedHost) fill(appliedHost, appliedPanel(detail.id));
    },
    async openSession(id) {
      const mine = ++opening;
      following?.abort();
      following = new AbortController();
      const signal = following.signal;
      ctx.sessionId = id;
      if (recordPlace) showPlace(projectId, id);
      recordPlace = true;
      clearError();
      const detail = id === null ? null : await client.sessions.get(id);
      // A later click opened something else while this one waited: that one owns the page.
      if (mine !== opening) return;
      const heading = h('h2', { id: uid('conversation'), tabindex: -1 }, detail ? detail.title || `Conversation ${detail.id}` : 'New conversation');
      const list = h('ol', { class: 'turns', 'aria-label': 'Messages', 'data-testid': 'turns' });
      const running = h('div', {});
      const review = h('div', { 'data-testid': 'review-host' });
      const composer = h('div', {});
      const applied = h('div', {});
      if (detail) applied.append(appliedPanel(detail.id));
      [title, turns, reviewHost, appliedHost] = [heading, list, review, applied];
      fill(work, heading, list, applied, running, review, composer);
      if (!detail) list.append(h('li', { class: 'empty' }, 'Pick scenarios and say what should change; the suggestions appear here for review.'));
      else renderTurns(list, detail, review);
      // The list, the form and the latest job are read side by side: a link to a big review shows it sooner.
      const form = renderComposer(ctx, composer, review, signal);
      const resumed = resumeLatest(detail, running, review, form, signal).catch(showError);
      await Promise.all([ctx.refreshSessions(), form]);
      if (mine !== opening) return;
      // Focus goes to the conversation, unless the review it reopened took it already.
      if (!review.contains(document.activeElement)) heading.focus();
      status.textContent = detail ? `Opened ${heading.textContent}.` : 'New conversation.';
      await resumed;
    },
    onSessionOpened(id) {
      showPlace(projectId, id);
    },
  };

  /** What the conversation applied, each revertible as a whole. */
  const appliedPanel = (sessionId: number) => changesetsPanel(ctx, { session_id: sessionId }, 'Changes applied from this conversation');

  /** The conversation, and a way back to the latest suggestions while they are still waiting for review. */
  const renderTurns = (list: HTMLOListElement, detail: SessionDetail, review?: HTMLElement) => {
    const suggestions = (t: SessionDetail['conversation_history'][number]) => t.tool_calls.find((c) => c.name === 'suggest_changes');
    // Only the latest suggestions can still be applied as they are; older ones were superseded.
    const latest = [...detail.conversation_history].reverse().find((t) => suggestions(t) !== undefined);
    fill(
      list,
      detail.conversation_history.length
        ? detail.conversation_history.map((t) => {
            const call = t === latest ? suggestions(t) : undefined;
            // Still waiting, or applied in part with the rest left for later.
            const open = call?.status === 'pending' || (detail.review_state === 'partly_applied' && call?.id === `call_${detail.review_progress_id}`);
            const pending = open && typeof call?.id === 'string' && call.id.startsWith('call_') ? call : undefined;
            const reopen = pending && review ? h('button', { type: 'button' }, 'Review these suggestions') : null;
            reopen?.addEventListener(
              'click',
              guarded(async () => {
                const progressId = String(pending!.id).slice('call_'.length);
                const p = await client.scenarioAgent.progress(progressId);
                await showResult(ctx, review!, p.status, p.result, following?.signal, progressId, p.review_state === 'partly_applied');
              }),
            );
            return h(
              'li',
              { class: `turn ${t.role}` },
              h('span', { class: 'who' }, `${t.role === 'user' ? 'You' : 'Scenario agent'} · ${new Date(t.timestamp).toLocaleString()}`),
              t.content,
              reopen ? h('div', { class: 'actions' }, reopen) : null,
            );
          })
        : h('li', { class: 'empty' }, 'No messages yet.'),
    );
  };

  /**
   * Picks up where the conversation's latest job is: one still running (started in another tab, the
   * CLI or the API) is followed as if sent from here; one waiting for an agent asks for it again.
   */
  const resumeLatest = async (detail: SessionDetail | null, running: HTMLElement, review: HTMLElement, form: Promise<Composer>, signal: AbortSignal) => {
    const progressId = detail?.latest_progress_id;
    if (!progressId) return;
    // Suggestions still waiting (all, or the part not applied yet) are shown again: a reload or a shared link lands on the review.
    const waiting = detail.review_progress_id;
    if (waiting && (detail.review_state === 'to_review' || detail.review_state === 'partly_applied')) {
      const p = await client.scenarioAgent.progress(waiting, signal);
      await showResult(ctx, review, p.status, p.result, signal, waiting, detail.review_state === 'partly_applied');
      return;
    }
    if (detail.latest_job_status === 'in_progress') {
      await followToResult(ctx, running, review, progressId, detail.latest_job_kind ? DOING[detail.latest_job_kind] : 'Working', signal);
    } else if (detail.latest_job_status === 'failed') {
      const p = await client.scenarioAgent.progress(progressId, signal);
      // A failure of a passing cause (a timeout, a stopped worker, a budget) can be sent again from here, as it was stored.
      const again = p.retry_request;
      const retry = again ? () => void form.then((c) => c.send(again, p.mode === 'clarify' ? DOING.clarify : DOING.improve)) : undefined;
      showFailure(review, p.error ?? 'No reason was given.', retry);
    } else if (detail.latest_job_status === 'needs_agent_clarification') {
      const p = await client.scenarioAgent.progress(progressId, signal);
      await showResult(ctx, review, p.status, p.result, signal);
    }
  };

  newButton.addEventListener(
    'click',
    guarded(() => ctx.openSession(null)),
  );
  await ctx.openSession(sessionId).catch(async (e) => {
    // A link to a conversation that is gone (or another organization's) opens the project instead, saying why.
    showError(e);
    await ctx.openSession(null);
  });
}

function start(): void {
  const key = sessionStorage.getItem(KEY);
  if (!key) {
    signIn();
    return;
  }
  void enter(key)
    .then((ok) => {
      if (!ok) {
        sessionStorage.removeItem(KEY);
        signIn();
      }
    })
    .catch((e) => showError(errorText(e)));
}

start();
