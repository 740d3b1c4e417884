import type { Changeset, ChangesetQuery, ChangesetRevert } from '../client/index.js';
import { errorText, type PageContext } from './context.js';
import { diffView } from './diff-view.js';
import { fill, h, uid } from './dom.js';

const STATUS_TEXT: Record<Changeset['status'], string> = { applied: 'applied', partly_reverted: 'partly reverted', reverted: 'reverted' };

function revertText(r: ChangesetRevert): string {
  return r.conflicts.length ? `${r.message} ${r.conflicts.map((c) => c.message).join(' ')}` : r.message;
}

/**
 * The changesets of a conversation or of one scenario, newest first, each with its scenarios'
 * changes (read when opened) and a Revert button; after a revert with conflicts, a second button
 * reverts those too. `onReverted` lets the host re-read what the revert changed.
 */
export function changesetsPanel(ctx: PageContext, query: ChangesetQuery, title: string, onReverted?: () => Promise<void>): HTMLElement {
  const titleId = uid('changesets-title');
  const list = h('ul', { class: 'changesets' });
  // Announced without being a second `status` region beside the host's own.
  const status = h('p', { 'aria-live': 'polite', class: 'hint', 'data-testid': 'changeset-status' });
  const panel = h('section', { 'aria-labelledby': titleId, 'data-testid': 'changesets' }, h('h3', { id: titleId }, title), status, list);

  const load = async () => {
    const page = await ctx.client.changesets.list({ ...query, page_size: 50 });
    fill(list, page.results.length ? page.results.map(item) : h('li', { class: 'empty' }, 'No changes applied yet.'));
  };

  const revert = async (c: Changeset, button: HTMLButtonElement, force: boolean) => {
    button.disabled = true;
    try {
      const r = await ctx.client.changesets.revert(c.id, { force });
      status.textContent = revertText(r);
      await load();
      await onReverted?.();
    } catch (e) {
      status.textContent = errorText(e);
      button.disabled = false;
    }
  };

  const item = (c: Changeset) => {
    const label = `${c.kind === 'revert' ? `Revert of changeset ${c.reverts}` : `Changeset ${c.id} (${c.kind})`}`;
    const actions = h(
      'div',
      { class: 'actions' },
      h('strong', { class: 'grow' }, label),
      h('span', { class: 'hint' }, `${STATUS_TEXT[c.status]} · ${c.scenario_count} scenario(s) · ${new Date(c.created_at).toLocaleString()} · ${c.actor}`),
    );
    if (c.status !== 'reverted') {
      const button = h(
        'button',
        { type: 'button', 'data-testid': `revert-changeset-${c.id}`, 'aria-label': `Revert ${label}` },
        c.status === 'partly_reverted' ? 'Revert the rest' : 'Revert',
      );
      button.addEventListener('click', () => void revert(c, button, false));
      actions.append(button);
      if (c.status === 'partly_reverted') {
        const force = h(
          'button',
          { type: 'button', 'data-testid': `force-revert-changeset-${c.id}`, 'aria-label': `Revert ${label} over later edits` },
          'Revert over later edits',
        );
        force.addEventListener('click', () => void revert(c, force, true));
        actions.append(force);
      }
    }
    const body = h('div', {});
    const details = h('details', {}, h('summary', {}, `Changed: ${c.fields.join(', ') || '(nothing)'}`), body);
    details.addEventListener('toggle', async () => {
      if (!details.open || body.childElementCount) return;
      try {
        const d = await ctx.client.changesets.get(c.id);
        fill(
          body,
          d.items.map((i) =>
            h(
              'div',
              { class: 'changed', 'data-testid': 'changeset-item' },
              h(
                'strong',
                {},
                `${i.scenario_name} (#${i.scenario_id})${i.action === 'update' ? '' : i.action === 'create' ? ' · created' : ' · deleted'}${i.reverted_by !== null ? ' · reverted' : ''}`,
              ),
              Object.entries(i.changes).map(([f, ch]) => h('div', {}, h('span', { class: 'hint' }, f), diffView(ch.old, ch.new))),
            ),
          ),
        );
      } catch (e) {
        fill(body, h('p', { class: 'hint' }, errorText(e)));
      }
    });
    return h('li', { 'data-testid': `changeset-${c.id}` }, actions, c.summary ? h('p', { class: 'hint' }, c.summary) : null, details);
  };

  load().catch((e) => (status.textContent = errorText(e)));
  return panel;
}
