import type { Revision } from '../client/index.js';
import { changesetsPanel } from './changesets.js';
import { errorText, type PageContext } from './context.js';
import { diffView } from './diff-view.js';
import { fill, h, uid } from './dom.js';
import { fieldLabel } from './labels.js';

/** A dialog listing a scenario's revisions, newest first, each with what it changed and a revert. */
export async function openHistory(ctx: PageContext, scenarioId: number, name: string, opener?: HTMLElement): Promise<void> {
  const titleId = uid('history-title');
  const list = h('div', {});
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'hint' });
  const close = h('button', { type: 'button' }, 'Close');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': titleId, 'data-testid': 'history-dialog' },
    h('div', { class: 'actions' }, h('h2', { id: titleId, class: 'grow' }, `Revision history: ${name}`), close),
    status,
    list,
  );
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    opener?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();

  const load = async () => {
    const page = await ctx.client.scenarios.revisions(scenarioId, { page_size: 100 });
    const latest = page.results[0]?.revision;
    fill(
      list,
      page.results.length
        ? h(
            'ol',
            { class: 'revisions' },
            page.results.map((r) => item(r, r.revision === latest)),
          )
        : h('p', { class: 'empty' }, 'No revisions.'),
    );
  };
  const item = (r: Revision, current: boolean) => {
    const revert = current
      ? h('span', { class: 'hint' }, '(current)')
      : h('button', { type: 'button', 'data-testid': `revert-${r.revision}` }, `Revert to revision ${r.revision}`);
    if (!current) {
      revert.addEventListener('click', async () => {
        (revert as HTMLButtonElement).disabled = true;
        try {
          const s = await ctx.client.scenarios.revert(scenarioId, r.revision);
          await load();
          status.textContent = `Reverted to revision ${r.revision}; the scenario is now at revision ${s.revision}.`;
          close.focus();
        } catch (e) {
          status.textContent = errorText(e);
          (revert as HTMLButtonElement).disabled = false;
        }
      });
    }
    const fields = Object.entries(r.changed_fields);
    // Values the reviewer corrected before applying are told apart from what the job suggested.
    const edited = new Set(r.edited_by_user);
    const mark = (f: string) => (edited.has(f) ? `${f} (edited)` : f);
    return h(
      'li',
      {},
      h(
        'div',
        { class: 'actions' },
        h('strong', {}, `Revision ${r.revision}`),
        h('span', {}, `${r.change_type} · ${new Date(r.created_at).toLocaleString()} · ${r.actor.name}`),
        revert,
      ),
      r.reason ? h('p', { class: 'hint' }, r.reason) : null,
      edited.size
        ? h(
            'p',
            { class: 'edited-note', 'data-testid': 'edited-by-user' },
            `Edited by the reviewer before applying: ${r.edited_by_user.map(fieldLabel).join(', ')}.`,
            r.source_progress_id ? ` The rest is as job ${r.source_progress_id} suggested it.` : '',
          )
        : null,
      fields.length
        ? h(
            'details',
            {},
            h('summary', {}, `Changed: ${fields.map(([f]) => mark(f)).join(', ')}`),
            fields.map(([f, c]) => h('div', { class: 'changed' }, h('strong', {}, mark(f)), diffView(c.old, c.new))),
          )
        : null,
    );
  };
  try {
    await load();
  } catch (e) {
    status.textContent = errorText(e);
  }
  // The bulk writes that touched it, each revertible as a whole.
  dialog.append(changesetsPanel(ctx, { scenario_id: scenarioId }, 'Changesets that touched it', load));
}
