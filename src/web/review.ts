import type { ApplyConflict, ApplyResult, UpdatedScenario, ValidationIssue } from '../client/index.js';
import { errorText, guarded, type PageContext } from './context.js';
import { diffView } from './diff-view.js';
import { displayValue } from './diff.js';
import { append, fill, h, uid } from './dom.js';
import { openHistory } from './history.js';
import { followJob } from './job.js';
import { acceptAll, applyPayload, countAccepted, reviewItems, type ReviewCard } from './review-model.js';

/** A finished job's suggestions; its message is already in the conversation above. */
export interface Suggestions {
  updated: UpdatedScenario[];
  issues: ValidationIssue[];
}

/**
 * The suggestions of one job, each scenario's changed fields side by side with word-level marks,
 * accepted or rejected per scenario and per field, and one Apply for what was accepted.
 */
export async function renderReview(ctx: PageContext, host: HTMLElement, s: Suggestions): Promise<void> {
  const shown = await idNames(ctx);
  const items = reviewItems(s.updated);
  const decisions = acceptAll(items);
  // Scenarios whose conflict the reviewer resolved by applying over the current version.
  const rebased = new Map<number, number>();
  const sessionId = ctx.sessionId;
  const refreshers: Array<() => void> = [];
  const cards = new Map<string, HTMLElement>();

  const applyButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'apply' });
  const discardButton = h('button', { type: 'button' }, 'Discard all');
  const outcome = h('div', { 'aria-live': 'polite' });
  const jobHost = h('div', {});

  const refresh = () => {
    for (const r of refreshers) r();
    const n = countAccepted(items, decisions);
    applyButton.textContent = n.scenarios ? `Apply ${n.fields} accepted change(s) to ${n.scenarios} scenario(s)` : 'Apply (nothing accepted)';
    applyButton.disabled = n.scenarios === 0;
  };

  const card = (it: ReviewCard) => {
    const titleId = uid('suggestion');
    const state = h('span', { class: 'state', 'data-testid': 'suggestion-state' });
    const acceptBtn = h('button', { type: 'button' }, it.id === null ? 'Create' : 'Accept all');
    const rejectBtn = h('button', { type: 'button' }, 'Reject');
    acceptBtn.setAttribute('aria-describedby', titleId);
    rejectBtn.setAttribute('aria-describedby', titleId);
    const history = it.id !== null ? h('button', { type: 'button', 'data-keep': true }, 'Revision history') : null;
    history?.addEventListener('click', () => void openHistory(ctx, it.id!, it.name, history));
    const boxes: Array<[string, HTMLInputElement]> = [];
    const article = h('article', { class: 'suggestion', 'aria-labelledby': titleId, 'data-testid': 'suggestion', 'data-scenario': it.id ?? '' },
      h('header', {}, h('h4', { id: titleId }, it.name, h('span', { class: 'hint' }, it.id !== null ? ` (scenario ${it.id})` : ' (new scenario)')), state, acceptBtn, rejectBtn, history),
    );
    for (const f of it.fields) {
      const box = h('input', { type: 'checkbox', checked: true });
      boxes.push([f.field, box]);
      box.addEventListener('change', () => {
        const set = decisions.get(it.key) ?? new Set<string>();
        if (box.checked) set.add(f.field);
        else set.delete(f.field);
        decisions.set(it.key, set);
        refresh();
      });
      const field = h('div', { class: 'field', 'data-field': f.field });
      // A draft is created whole: its fields are shown, not chosen one by one.
      if (it.id !== null) append(field, [h('label', { class: 'accept' }, box, `Accept the change to ${f.field}`)]);
      else append(field, [h('div', { class: 'label' }, f.field)]);
      append(field, [it.id !== null ? diffView(shown(f.field, f.old), shown(f.field, f.new), ['Current', 'Suggested']) : h('pre', { class: 'text' }, displayValue(shown(f.field, f.new)) || h('span', { class: 'empty' }, '(empty)'))]);
      article.append(field);
    }
    const setAll = (on: boolean) => {
      decisions.set(it.key, new Set(on ? it.fields.map((f) => f.field) : []));
      refresh();
    };
    acceptBtn.addEventListener('click', () => setAll(true));
    rejectBtn.addEventListener('click', () => setAll(false));
    refreshers.push(() => {
      const accepted = decisions.get(it.key) ?? new Set();
      for (const [f, box] of boxes) box.checked = accepted.has(f);
      const all = accepted.size === it.fields.length;
      acceptBtn.setAttribute('aria-pressed', String(all));
      rejectBtn.setAttribute('aria-pressed', String(accepted.size === 0));
      article.classList.toggle('rejected', accepted.size === 0);
      state.textContent =
        it.id === null ? (accepted.size ? 'will be created' : 'rejected') : accepted.size === 0 ? 'rejected' : `${accepted.size} of ${it.fields.length} change(s) accepted`;
    });
    cards.set(it.key, article);
    return article;
  };

  const showConflicts = async (conflicts: ApplyConflict[]) => {
    for (const c of conflicts) {
      const it = items.find((i) => i.id === c.scenario_id);
      const article = it && cards.get(it.key);
      if (!it || !article) continue;
      article.querySelector('.conflict')?.remove();
      const box = h('div', { class: 'conflict', role: 'group', 'aria-label': `Conflict for ${it.name}`, 'data-testid': 'conflict' });
      article.querySelector('header')!.after(box);
      if (c.reason === 'deleted') {
        decisions.set(it.key, new Set());
        append(box, [h('p', {}, 'This scenario was deleted since the suggestion was made; it is left out.')]);
        continue;
      }
      const current = await ctx.client.scenarios.get(it.id!);
      const accepted = decisions.get(it.key) ?? new Set();
      const useCurrent = h('button', { type: 'button' }, 'Apply my accepted changes over the current version');
      const leaveOut = h('button', { type: 'button' }, 'Leave this scenario out');
      useCurrent.addEventListener('click', () => {
        rebased.set(it.id!, current.revision);
        box.remove();
        refresh();
        applyButton.focus();
      });
      leaveOut.addEventListener('click', () => {
        decisions.set(it.key, new Set());
        box.remove();
        refresh();
        applyButton.focus();
      });
      append(box, [
        h('p', {}, `Changed since the suggestion was made (revision ${c.based_on_revision ?? '?'}, now ${current.revision}). The current text is beside the suggestion:`),
        it.fields.filter((f) => accepted.has(f.field)).map((f) => h('div', { class: 'field' }, h('strong', {}, f.field), diffView(shown(f.field, (current as Record<string, unknown>)[f.field]), shown(f.field, f.new), ['Current (changed since)', 'Suggested']))),
        h('div', { class: 'actions' }, useCurrent, leaveOut),
      ]);
    }
  };

  applyButton.addEventListener(
    'click',
    guarded(async () => {
      const payload = applyPayload(items, decisions, rebased);
      if (!payload.length) return;
      applyButton.disabled = true;
      discardButton.disabled = true;
      fill(outcome);
      try {
        const started = await ctx.client.scenarioAgent.apply(payload, { session_id: sessionId, project_id: ctx.projectId });
        const done = await followJob(ctx, jobHost, started.progress_id, 'Applying');
        const r = done.result as unknown as ApplyResult | null;
        if (done.status === 'completed' && r?.success) {
          const changed = new Set([...r.applied_scenario_ids]);
          fill(outcome, h('p', { class: 'notice', 'data-testid': 'apply-outcome' }, r.message));
          for (const it of items) {
            for (const el of cards.get(it.key)?.querySelectorAll<HTMLInputElement>('input, button:not([data-keep])') ?? []) el.disabled = true;
          }
          for (const it of items) if (it.id !== null && changed.has(it.id)) cards.get(it.key)?.querySelector('.state')?.replaceChildren('applied');
          await ctx.refreshConversation();
          return;
        }
        fill(outcome, h('p', { class: 'notice', 'data-testid': 'apply-outcome' }, r?.message ?? done.error ?? 'Nothing was applied.'));
        if (r?.validation_issues?.length) append(outcome, [issueList(r.validation_issues)]);
        if (r?.conflicts?.length) await showConflicts(r.conflicts);
      } catch (e) {
        fill(outcome, h('p', { class: 'notice' }, errorText(e)));
      }
      discardButton.disabled = false;
      refresh();
    }),
  );

  discardButton.addEventListener(
    'click',
    guarded(async () => {
      if (sessionId !== null) await ctx.client.scenarioAgent.discard(sessionId);
      fill(host, h('p', { class: 'notice', role: 'status' }, 'Suggestions discarded; nothing was changed.'));
      await ctx.refreshConversation();
    }),
  );

  const headingId = uid('review');
  fill(
    host,
    h('section', { 'aria-labelledby': headingId, 'data-testid': 'review' },
      h('h3', { id: headingId }, `Suggested changes (${items.length})`),
      s.issues.length ? issueList(s.issues) : null,
      items.length ? items.map(card) : h('p', { class: 'empty' }, 'No changes were suggested.'),
      items.length ? h('div', { class: 'actions' }, applyButton, discardButton) : null,
      jobHost,
      outcome,
    ),
  );
  refresh();
}

/** Shows the ids a suggestion may change by name ("Angry Customer (3)"), so a change reads as what it means. */
async function idNames(ctx: PageContext): Promise<(field: string, value: unknown) => unknown> {
  const [people, agents] = await Promise.all([ctx.client.personalities.list({ project_id: ctx.projectId }), ctx.client.aiagents.all({ project_id: ctx.projectId })]);
  const names: Record<string, Map<number, string>> = {
    personality: new Map(people.map((p) => [p.id, p.name])),
    agent: new Map(agents.map((a) => [a.id, a.agent_name])),
  };
  return (field, value) => {
    const known = names[field];
    return known && typeof value === 'number' ? `${known.get(value) ?? 'unknown'} (${value})` : value;
  };
}

function issueList(issues: ValidationIssue[]): HTMLElement {
  return h('div', { class: 'conflict' },
    h('p', {}, 'Left out because they are not valid:'),
    h('ul', {}, issues.map((i) => h('li', {}, `${i.scenario_id !== null ? `Scenario ${i.scenario_id}` : 'Draft'}${i.field ? ` · ${i.field}` : ''}: ${i.message}`))),
  );
}
