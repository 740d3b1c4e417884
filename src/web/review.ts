import { ApiError, type ApplyConflict, type ApplyResult, type NotDone, type UpdatedScenario, type ValidationIssue } from '../client/index.js';
import { type SummaryRow, summarizeSuggestions } from '../domain/suggestion-review.js';
import { errorText, guarded, type PageContext } from './context.js';
import { displayValue } from './diff.js';
import { diffView } from './diff-view.js';
import { append, fill, h, uid } from './dom.js';
import { fieldEditor } from './editor.js';
import { openHistory } from './history.js';
import { followJob } from './job.js';
import { emptyBooks, fieldLabel, type NameBooks, shownValue } from './labels.js';
import {
  type Applied,
  acceptAll,
  allApplied,
  applyPayload,
  type CardFilter,
  type CardState,
  cardState,
  cardsOfRow,
  countAccepted,
  type Decisions,
  decideField,
  type Edits,
  filterCards,
  markApplied,
  openFields,
  type ReviewCard,
  reviewItems,
  sentFields,
} from './review-model.js';

/** A finished job's suggestions; its message is already in the conversation above. */
export interface Suggestions {
  updated: UpdatedScenario[];
  issues: ValidationIssue[];
  notDone?: NotDone[];
  /** The job that made them, so its review state follows the apply. */
  progressId?: string;
  /** Part of them were applied before (the job is partly applied): nothing starts accepted. */
  partlyApplied?: boolean;
}

/** Cards per page: a review of thousands stays as fast as one of fifty, since only one page is drawn. */
export const PAGE_SIZE = 50;

const STATE_WORDS: Record<CardState, string> = {
  accepted: 'Accepted',
  rejected: 'Rejected',
  partly: 'Partly accepted',
  conflict: 'Conflict',
  applied: 'Applied',
};
const n = (x: number) => x.toLocaleString('en');

/** A summary row as a person reads it: "Tools: + DTMF", "Maximum call length". */
function rowLabel(row: SummaryRow, books: NameBooks): string {
  if (row.kind === 'set') return fieldLabel(row.field);
  const item = row.field === 'tool_ids' ? (books.tool.get(String(row.item)) ?? String(row.item)) : String(row.item);
  return `${fieldLabel(row.field)}: ${row.kind === 'add' ? 'add' : 'remove'} ${item}`;
}

/**
 * The suggestions of one job: a summary by field (with accept-all and reject-all per row), filters
 * by field, state and text, one page of cards at a time, each value correctable in place, and a
 * sticky bar with live counts and Apply.
 */
export async function renderReview(ctx: PageContext, host: HTMLElement, s: Suggestions): Promise<void> {
  const books = await nameBooks(ctx);
  const items = reviewItems(s.updated);
  // Reopened after part of it was applied, a review accepts nothing until the reviewer says what is still wanted.
  const decisions: Decisions = s.partlyApplied ? new Map() : acceptAll(items);
  // What an apply from this page wrote: those fields are settled, the rest can be applied later.
  const applied: Applied = new Map();
  const edits: Edits = new Map();
  // Scenarios whose conflict the reviewer resolved by applying over the current version.
  const rebased = new Map<number, number>();
  const conflicts = new Map<string, ApplyConflict>();
  const fieldErrors = new Map<string, Map<string, string>>();
  const sessionId = ctx.sessionId;
  let filter: CardFilter = {};
  let page = 0;
  let shown: ReviewCard[] = items;
  let done = false;
  const refreshers: Array<() => void> = [];

  const applyButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'apply' });
  const discardButton = h('button', { type: 'button' }, 'Discard all');
  const counts = h('span', { class: 'counts', 'data-testid': 'apply-counts', 'aria-live': 'polite' });
  const outcome = h('div', { 'aria-live': 'polite' });
  const jobHost = h('div', {});
  const cardsHost = h('div', { 'data-testid': 'cards' });
  const pager = h('div', { class: 'actions pager' });

  // ── Summary ──
  const rows = summarizeSuggestions(s.updated.filter((u) => typeof u.id === 'number'));
  const rowCards = rows.map((r) => cardsOfRow(items, r));
  const rowCounts: HTMLElement[] = [];
  const summary = rows.length
    ? h(
        'table',
        { class: 'summary', 'data-testid': 'summary' },
        h('caption', {}, 'Changes by field'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Change'),
            h('th', { scope: 'col' }, 'Scenarios'),
            h('th', { scope: 'col' }, 'Accepted'),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((r, i) => {
            const label = rowLabel(r, books);
            const accept = h('button', { type: 'button', class: 'small', 'aria-label': `Accept all: ${label}` }, 'Accept all');
            const reject = h('button', { type: 'button', class: 'small', 'aria-label': `Reject all: ${label}` }, 'Reject all');
            accept.addEventListener('click', () => decide(i, true));
            reject.addEventListener('click', () => decide(i, false));
            const count = h('td', { 'data-testid': 'row-accepted' });
            rowCounts.push(count);
            return h(
              'tr',
              { 'data-row': `${r.field}:${r.kind}:${String(r.item ?? '')}` },
              h('th', { scope: 'row' }, label),
              h('td', {}, n(r.count)),
              count,
              h('td', {}, h('div', { class: 'row-actions' }, accept, reject)),
            );
          }),
        ),
      )
    : null;
  const decide = (row: number, accept: boolean) => {
    if (done) return;
    decideField(rowCards[row]!, rows[row]!.field, accept, decisions, applied);
    refresh();
  };

  // ── Filters ──
  const fields = [...new Set(items.flatMap((it) => it.fields.map((f) => f.field)))];
  const fieldSelect = h(
    'select',
    { id: uid('filter-field') },
    h('option', { value: '' }, 'All fields'),
    fields.map((f) => h('option', { value: f }, fieldLabel(f))),
  );
  const stateSelect = h(
    'select',
    { id: uid('filter-state') },
    h('option', { value: '' }, 'Any state'),
    (Object.keys(STATE_WORDS) as CardState[]).map((st) => h('option', { value: st }, STATE_WORDS[st])),
  );
  const textInput = h('input', { id: uid('filter-text'), type: 'search', placeholder: 'name or suggested text' });
  const filters = h(
    'form',
    { role: 'search', 'aria-label': 'Filter the suggestions', class: 'row filters' },
    h('div', {}, h('label', { for: fieldSelect.id }, 'Field'), fieldSelect),
    h('div', {}, h('label', { for: stateSelect.id }, 'State'), stateSelect),
    h('div', {}, h('label', { for: textInput.id }, 'Text'), textInput),
  );
  const onFilter = () => {
    filter = { field: fieldSelect.value || undefined, state: (stateSelect.value || undefined) as CardState | undefined, text: textInput.value || undefined };
    page = 0;
    drawPage();
  };
  filters.addEventListener('submit', (e) => e.preventDefault());
  fieldSelect.addEventListener('change', onFilter);
  stateSelect.addEventListener('change', onFilter);
  textInput.addEventListener('input', onFilter);

  const refresh = () => {
    for (const r of refreshers) r();
    rows.forEach((r, i) => {
      const cards = rowCards[i]!;
      const accepted = cards.reduce((k, c) => k + (decisions.get(c.key)?.has(r.field) ? 1 : 0), 0);
      const done = cards.reduce((k, c) => k + (applied.get(c.key)?.has(r.field) ? 1 : 0), 0);
      rowCounts[i]!.textContent = `${n(accepted)} of ${n(cards.length)}${done ? ` · ${n(done)} applied` : ''}`;
    });
    const c = countAccepted(items, decisions);
    const rejected = items.filter((it) => !decisions.get(it.key)?.size && openFields(it, applied).length).length;
    const edited = [...edits.values()].reduce((k, m) => k + m.size, 0);
    const settled = [...applied.values()].reduce((k, m) => k + m.size, 0);
    counts.textContent = `${n(c.fields)} change(s) accepted in ${n(c.scenarios)} scenario(s) · ${n(rejected)} rejected${edited ? ` · ${n(edited)} edited by you` : ''}${settled ? ` · ${n(settled)} applied` : ''}`;
    applyButton.textContent = c.scenarios ? `Apply ${n(c.fields)} accepted change(s) to ${n(c.scenarios)} scenario(s)` : 'Apply (nothing accepted)';
    applyButton.disabled = done || c.scenarios === 0;
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
    const article = h(
      'article',
      { class: 'suggestion', 'aria-labelledby': titleId, 'data-testid': 'suggestion', 'data-scenario': it.id ?? '' },
      h(
        'header',
        {},
        h('h4', { id: titleId }, it.name, h('span', { class: 'hint' }, it.id !== null ? ` (scenario ${it.id})` : ' (new scenario)')),
        state,
        acceptBtn,
        rejectBtn,
        history,
      ),
    );
    if (it.notes.length) article.append(h('p', { class: 'hint note' }, it.notes.join(' ')));
    const conflict = conflicts.get(it.key);
    if (conflict) article.append(conflictBox(it, conflict));
    for (const f of it.fields) {
      const isApplied = applied.get(it.key)?.has(f.field) ?? false;
      const box = h('input', { type: 'checkbox', checked: decisions.get(it.key)?.has(f.field) ?? false, disabled: done || isApplied });
      boxes.push([f.field, box]);
      box.addEventListener('change', () => {
        const set = decisions.get(it.key) ?? new Set<string>();
        if (box.checked) set.add(f.field);
        else set.delete(f.field);
        decisions.set(it.key, set);
        refresh();
      });
      const field = h('div', { class: 'field', 'data-field': f.field });
      const valueHost = h('div', {});
      const error = fieldErrors.get(it.key)?.get(f.field);
      const errorEl = error ? h('p', { class: 'field-error', role: 'alert', 'data-testid': 'field-error' }, error) : null;
      const draw = () => {
        const own = edits.get(it.key);
        const value = own?.has(f.field) ? own.get(f.field) : f.new;
        const edited = own?.has(f.field) ?? false;
        fill(
          valueHost,
          it.id !== null
            ? diffView(
                shownValue(f.field, f.old, books),
                shownValue(f.field, value, books),
                isApplied ? ['Before', 'Applied'] : ['Current', edited ? 'Your value' : 'Suggested'],
              )
            : h('pre', { class: 'text' }, displayValue(shownValue(f.field, value, books)) || h('span', { class: 'empty' }, '(empty)')),
          edited ? h('p', { class: 'hint', 'data-testid': 'edited' }, 'Edited by you.') : null,
          isApplied ? h('p', { class: 'hint applied', 'data-testid': 'field-applied' }, it.id === null ? 'Created.' : 'Applied.') : null,
        );
      };
      const edit = h(
        'button',
        { type: 'button', class: 'small', 'aria-label': `Edit ${fieldLabel(f.field)} of ${it.name}`, disabled: done || isApplied },
        'Edit',
      );
      edit.addEventListener('click', () => {
        const own = edits.get(it.key);
        const editor = fieldEditor(f.field, own?.has(f.field) ? own.get(f.field) : f.new, books);
        const save = h('button', { type: 'button', class: 'primary small' }, 'Keep my value');
        const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel');
        const undo = own?.has(f.field) ? h('button', { type: 'button', class: 'small' }, 'Back to the suggestion') : null;
        const problem = h('p', { class: 'field-error', role: 'alert' });
        const close = () => {
          draw();
          edit.hidden = false;
          edit.focus();
        };
        save.addEventListener('click', () => {
          try {
            const value = editor.read();
            const map = edits.get(it.key) ?? new Map<string, unknown>();
            map.set(f.field, value);
            edits.set(it.key, map);
            fieldErrors.get(it.key)?.delete(f.field);
            errorEl?.remove();
            // Correcting a value accepts it.
            decisions.set(it.key, (decisions.get(it.key) ?? new Set()).add(f.field));
            close();
            refresh();
          } catch (e) {
            problem.textContent = errorText(e);
          }
        });
        cancel.addEventListener('click', close);
        undo?.addEventListener('click', () => {
          edits.get(it.key)?.delete(f.field);
          close();
          refresh();
        });
        edit.hidden = true;
        editor.el.addEventListener('keydown', (e) => {
          if (e.key === 'Escape') close();
        });
        fill(valueHost, editor.el, problem, h('div', { class: 'actions' }, save, cancel, undo));
        editor.focus();
      });
      const head = it.id !== null ? h('label', { class: 'accept' }, box, `Accept: ${fieldLabel(f.field)}`) : h('div', { class: 'label' }, fieldLabel(f.field));
      append(field, [
        h('div', { class: 'field-head' }, head, edit),
        it.reasons[f.field] ? h('p', { class: 'hint reason' }, `Why: ${it.reasons[f.field]}`) : null,
        errorEl,
        valueHost,
      ]);
      draw();
      article.append(field);
    }
    const setAll = (on: boolean) => {
      decisions.set(it.key, new Set(on ? openFields(it, applied) : []));
      refresh();
    };
    acceptBtn.addEventListener('click', () => setAll(true));
    rejectBtn.addEventListener('click', () => setAll(false));
    refreshers.push(() => {
      const accepted = decisions.get(it.key) ?? new Set();
      for (const [f, box] of boxes) box.checked = accepted.has(f);
      const open = openFields(it, applied).length;
      acceptBtn.setAttribute('aria-pressed', String(accepted.size === open));
      rejectBtn.setAttribute('aria-pressed', String(accepted.size === 0));
      acceptBtn.disabled = rejectBtn.disabled = done || open === 0;
      const st = cardState(it, decisions, new Set(conflicts.keys()), applied);
      article.classList.toggle('rejected', st === 'rejected');
      article.classList.toggle('applied', st === 'applied');
      state.textContent =
        it.id === null
          ? st === 'applied'
            ? 'created'
            : accepted.size
              ? 'will be created'
              : 'rejected'
          : st === 'partly'
            ? `${accepted.size} of ${open} change(s) accepted`
            : st === 'rejected' && open < it.fields.length
              ? `${it.fields.length - open} applied, the rest not accepted`
              : STATE_WORDS[st].toLowerCase();
    });
    return article;
  };

  /** A conflict beside the scenario's current text, with the two ways out. */
  const conflictBox = (it: ReviewCard, c: ApplyConflict) => {
    const box = h('div', { class: 'conflict', role: 'group', 'aria-label': `Conflict for ${it.name}`, 'data-testid': 'conflict' });
    if (c.reason === 'deleted') {
      append(box, [h('p', {}, 'This scenario was deleted since the suggestion was made; it is left out.')]);
      return box;
    }
    const useCurrent = h('button', { type: 'button' }, 'Apply my accepted changes over the current version');
    const leaveOut = h('button', { type: 'button' }, 'Leave this scenario out');
    const resolve = (keep: boolean) => {
      if (keep && c.current_revision !== null) rebased.set(it.id!, c.current_revision);
      else decisions.set(it.key, new Set());
      conflicts.delete(it.key);
      box.remove();
      refresh();
      applyButton.focus();
    };
    useCurrent.addEventListener('click', () => resolve(true));
    leaveOut.addEventListener('click', () => resolve(false));
    append(box, [
      h(
        'p',
        {},
        `Changed since the suggestion was made (revision ${c.based_on_revision ?? '?'}, now ${c.current_revision ?? '?'}). The current text is beside the suggestion:`,
      ),
    ]);
    const sides = h('div', {});
    box.append(sides, h('div', { class: 'actions' }, useCurrent, leaveOut));
    void ctx.client.scenarios.get(it.id!).then(
      (current) => {
        const accepted = decisions.get(it.key) ?? new Set();
        append(
          sides,
          it.fields
            .filter((f) => accepted.has(f.field))
            .map((f) =>
              h(
                'div',
                { class: 'field' },
                h('strong', {}, fieldLabel(f.field)),
                diffView(shownValue(f.field, (current as Record<string, unknown>)[f.field], books), shownValue(f.field, f.new, books), [
                  'Current (changed since)',
                  'Suggested',
                ]),
              ),
            ),
        );
      },
      () => undefined,
    );
    return box;
  };

  const drawPage = () => {
    shown = filterCards(items, filter, decisions, new Set(conflicts.keys()), applied);
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    refreshers.length = 0;
    const slice = shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    fill(
      cardsHost,
      slice.length ? slice.map(card) : h('p', { class: 'empty' }, items.length ? 'No suggestion matches these filters.' : 'No changes were suggested.'),
    );
    const prev = h('button', { type: 'button', disabled: page === 0 }, 'Previous page');
    const next = h('button', { type: 'button', disabled: page >= pages - 1 }, 'Next page');
    prev.addEventListener('click', () => goTo(page - 1));
    next.addEventListener('click', () => goTo(page + 1));
    const from = shown.length ? page * PAGE_SIZE + 1 : 0;
    fill(
      pager,
      shown.length > PAGE_SIZE ? [prev, next] : [],
      h(
        'span',
        { class: 'hint', 'data-testid': 'showing' },
        `Showing ${n(from)}–${n(Math.min(shown.length, (page + 1) * PAGE_SIZE))} of ${n(shown.length)}${shown.length !== items.length ? ` (filtered from ${n(items.length)})` : ''}`,
      ),
    );
    refresh();
  };
  const goTo = (p: number) => {
    page = p;
    drawPage();
    cardsHost.querySelector<HTMLElement>('h4')?.closest('article')?.scrollIntoView({ block: 'start' });
  };
  /** Shows the card of `key` (clearing filters that hide it) on its page. */
  const reveal = (key: string) => {
    if (!shown.some((it) => it.key === key)) {
      fieldSelect.value = stateSelect.value = textInput.value = '';
      filter = {};
      shown = items;
    }
    page = Math.floor(shown.findIndex((it) => it.key === key) / PAGE_SIZE);
    drawPage();
    cardsHost.querySelector(`[data-testid="field-error"], [data-testid="conflict"]`)?.closest('article')?.scrollIntoView({ block: 'center' });
  };

  /** A 400 from apply names items by position (`3.tags: …`): each message goes beside its field. */
  const showRefusal = (e: ApiError, payload: UpdatedScenario[]) => {
    const messages = e.fieldErrors?.updated_scenarios ?? [];
    let first: string | undefined;
    for (const m of messages) {
      const match = /^(\d+)\.(\w+): (.*)$/.exec(m);
      const sent = match ? payload[Number(match[1])] : undefined;
      const it = sent && items.find((x) => (typeof sent.id === 'number' ? x.id === sent.id : x.name === sent.name));
      if (!it || !match) continue;
      const map = fieldErrors.get(it.key) ?? new Map<string, string>();
      map.set(match[2]!, match[3]!);
      fieldErrors.set(it.key, map);
      first ??= it.key;
    }
    if (first) {
      fill(
        outcome,
        h(
          'p',
          { class: 'notice error-text', 'data-testid': 'apply-outcome' },
          `Nothing was applied: ${messages.length} value(s) are not valid. Each is shown beside its field.`,
        ),
      );
      reveal(first);
    } else fill(outcome, h('p', { class: 'notice error-text', 'data-testid': 'apply-outcome' }, errorText(e)));
  };

  applyButton.addEventListener(
    'click',
    guarded(async () => {
      const payload = applyPayload(items, decisions, rebased, edits);
      if (!payload.length) return;
      const sent = sentFields(items, decisions);
      applyButton.disabled = true;
      discardButton.disabled = true;
      fill(outcome);
      fieldErrors.clear();
      try {
        const started = await ctx.client.scenarioAgent.apply(payload, {
          session_id: sessionId,
          project_id: ctx.projectId,
          ...(s.progressId ? { source_progress_id: s.progressId } : {}),
        });
        const final = await followJob(ctx, jobHost, started.progress_id, 'Applying');
        const r = final.result as unknown as ApplyResult | null;
        if (final.status === 'completed' && r?.success) {
          markApplied(sent, decisions, applied);
          // What was left out stays here to be accepted and applied later; a review applied whole is closed.
          done = allApplied(items, applied);
          const later = done ? '' : ' What you did not accept stays in this review: accept it and apply again whenever you are ready.';
          fill(outcome, h('p', { class: 'notice', 'data-testid': 'apply-outcome' }, `${r.message}${later}`));
          drawPage();
          if (done) for (const el of cardsHost.querySelectorAll<HTMLElement>('input, button:not([data-keep])')) (el as HTMLButtonElement).disabled = true;
          discardButton.disabled = done;
          discardButton.textContent = 'Discard the rest';
          await ctx.refreshConversation();
          await ctx.refreshSessions();
          return;
        }
        fill(outcome, h('p', { class: 'notice', 'data-testid': 'apply-outcome' }, r?.message ?? final.error ?? 'Nothing was applied.'));
        if (r?.validation_issues?.length) append(outcome, [issueList(r.validation_issues)]);
        for (const c of r?.conflicts ?? []) {
          const it = items.find((i) => i.id === c.scenario_id);
          if (it) conflicts.set(it.key, c);
          if (it && c.reason === 'deleted') decisions.set(it.key, new Set());
        }
        const firstConflict = r?.conflicts?.length ? items.find((i) => conflicts.has(i.key)) : undefined;
        if (firstConflict) reveal(firstConflict.key);
      } catch (e) {
        if (e instanceof ApiError && e.status === 400) showRefusal(e, payload);
        else fill(outcome, h('p', { class: 'notice error-text', 'data-testid': 'apply-outcome' }, errorText(e)));
        drawPage();
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
      await ctx.refreshSessions();
    }),
  );

  const headingId = uid('review');
  const notDone = s.notDone?.length
    ? h(
        'div',
        { class: 'conflict', 'data-testid': 'not-done' },
        h('p', {}, 'Not done:'),
        h(
          'ul',
          {},
          s.notDone.map((x) => h('li', {}, h('q', {}, x.part), ` — ${x.reason}`)),
        ),
      )
    : null;
  fill(
    host,
    h(
      'section',
      { 'aria-labelledby': headingId, 'data-testid': 'review' },
      h('h3', { id: headingId }, `Suggested changes (${n(items.length)})`),
      s.partlyApplied
        ? h(
            'p',
            { class: 'notice', 'data-testid': 'partly-applied' },
            'Part of these suggestions were applied already, so nothing is accepted yet: accept what you still want to apply. A field applied before is left as it is.',
          )
        : null,
      notDone,
      s.issues.length ? issueList(s.issues) : null,
      summary,
      items.length > 1 ? filters : null,
      cardsHost,
      pager,
      items.length ? h('div', { class: 'apply-bar', 'data-testid': 'apply-bar' }, counts, h('div', { class: 'actions' }, applyButton, discardButton)) : null,
      jobHost,
      outcome,
    ),
  );
  drawPage();
}

/** Tools, personalities and agents by name, so a change reads as what it means. */
async function nameBooks(ctx: PageContext): Promise<NameBooks> {
  const books = emptyBooks();
  const [people, agents, tools] = await Promise.all([
    ctx.client.personalities.list({ project_id: ctx.projectId }),
    ctx.client.aiagents.all({ project_id: ctx.projectId }),
    ctx.client.tools.list({ project_id: ctx.projectId, page_size: 1000 }).then(
      (p) => p.results,
      () => [],
    ),
  ]);
  for (const p of people) books.personality.set(p.id, p.name);
  for (const a of agents) books.agent.set(a.id, a.agent_name);
  for (const t of tools) books.tool.set(t.tool_id, t.name);
  return books;
}

function issueList(issues: ValidationIssue[]): HTMLElement {
  return h(
    'div',
    { class: 'conflict' },
    h('p', {}, 'Left out because they are not valid:'),
    h(
      'ul',
      {},
      issues.map((i) =>
        h('li', {}, `${i.scenario_id !== null ? `Scenario ${i.scenario_id}` : 'Draft'}${i.field ? ` · ${fieldLabel(i.field)}` : ''}: ${i.message}`),
      ),
    ),
  );
}
