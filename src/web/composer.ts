import type { AiAgent, Scenario, ScenarioAgentRequest } from '../client/index.js';
import { guarded, showError, type PageContext } from './context.js';
import { fill, h, uid } from './dom.js';
import { openHistory } from './history.js';
import { DOING, followToResult } from './outcome.js';

interface Field<T extends HTMLElement> {
  wrap: HTMLElement;
  input: T;
}

function labelled<T extends HTMLElement>(label: string, input: T, hint?: string): Field<T> {
  const id = uid('f');
  input.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return { wrap: h('div', {}, h('label', { for: id }, label), input, hintEl), input };
}

/**
 * The request form: improve chosen scenarios (picked by search, folder, tag, or all of them) or
 * draft new ones for an agent; then follows the job and shows its suggestions for review.
 */
export async function renderComposer(ctx: PageContext, host: HTMLElement, reviewHost: HTMLElement, signal: AbortSignal): Promise<void> {
  const [agents, folders] = await Promise.all([
    ctx.client.aiagents.all({ project_id: ctx.projectId }),
    ctx.client.scenarios.folders({ project_id: ctx.projectId, page_size: 1000 }).then((p) => p.results),
  ]);
  const selected = new Set<number>();
  const names = new Map<number, string>();

  const improve = h('input', { type: 'radio', name: 'mode', value: 'improve', checked: true });
  const clarify = h('input', { type: 'radio', name: 'mode', value: 'clarify' });
  const mode = h('fieldset', {}, h('legend', {}, 'Request'),
    h('label', { class: 'inline' }, improve, ' Improve existing scenarios'), ' ',
    h('label', { class: 'inline' }, clarify, ' Draft new scenarios for an agent'),
  );
  const agent = labelled('Agent', h('select', {}, h('option', { value: '' }, '(any / as the scenarios say)'), agents.map((a: AiAgent) => h('option', { value: a.id }, a.agent_name))),
    'Needed to draft new scenarios; optional when improving.');

  // The scenario picker.
  const search = labelled('Search', h('input', { type: 'search', placeholder: 'name or text' }));
  const folder = labelled('Folder', h('select', {}, h('option', { value: '' }, '(any)'), folders.map((f) => h('option', { value: f.path }, f.path))));
  const tag = labelled('Tag', h('input', { type: 'text', placeholder: 'e.g. billing', size: 12 }));
  const find = h('button', { type: 'submit' }, 'Find');
  const all = h('input', { type: 'checkbox' });
  const list = h('ul', { class: 'picker-list', 'aria-label': 'Scenarios found' });
  const count = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'selection-count' });
  const selectShown = h('button', { type: 'button' }, 'Select all shown');
  const clearSel = h('button', { type: 'button' }, 'Clear selection');

  const updateCount = () => {
    count.textContent = all.checked ? 'All scenarios of the project (or of the agent, if one is chosen) will be improved.' : `${selected.size} scenario(s) selected.`;
    list.querySelectorAll('input').forEach((b) => {
      b.disabled = all.checked;
    });
  };
  const showScenarios = (rows: Scenario[]) => {
    fill(list, rows.length ? rows.map((s) => {
      names.set(s.id, s.name);
      const box = h('input', { type: 'checkbox', value: s.id, checked: selected.has(s.id), disabled: all.checked });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(s.id);
        else selected.delete(s.id);
        updateCount();
      });
      const history = h('button', { type: 'button', class: 'small', 'aria-label': `Revision history of ${s.name}` }, 'History');
      history.addEventListener('click', () => void openHistory(ctx, s.id, s.name, history));
      return h('li', {}, h('label', { class: 'inline' }, box, ` ${s.name}`, s.tags.length ? h('span', { class: 'hint' }, ` · ${s.tags.join(', ')}`) : null, s.folder_path ? h('span', { class: 'hint' }, ` · ${s.folder_path}`) : null), ' ', history);
    }) : h('li', { class: 'empty' }, 'No scenarios match.'));
  };
  const load = async () => {
    const page = await ctx.client.scenarios.list({
      project_id: ctx.projectId,
      search: search.input.value.trim() || undefined,
      folder_path: folder.input.value || undefined,
      tags: tag.input.value.trim() || undefined,
      page_size: 200,
    });
    showScenarios(page.results);
    if (page.count > page.results.length) list.append(h('li', { class: 'hint' }, `Showing the first ${page.results.length} of ${page.count}; narrow the search to see the rest.`));
  };
  const pickerForm = h('form', { role: 'search', 'aria-label': 'Find scenarios' }, h('div', { class: 'row' }, search.wrap, folder.wrap, tag.wrap, find));
  pickerForm.addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(load)();
  });
  selectShown.addEventListener('click', () => {
    list.querySelectorAll<HTMLInputElement>('input[type=checkbox]').forEach((b) => {
      b.checked = true;
      selected.add(Number(b.value));
    });
    updateCount();
  });
  clearSel.addEventListener('click', () => {
    selected.clear();
    list.querySelectorAll<HTMLInputElement>('input[type=checkbox]').forEach((b) => {
      b.checked = false;
    });
    updateCount();
  });
  all.addEventListener('change', updateCount);
  const picker = h('fieldset', {}, h('legend', {}, 'Scenarios to improve'), pickerForm, list,
    h('div', { class: 'actions' }, h('label', { class: 'inline' }, all, ' All scenarios'), selectShown, clearSel), count);

  const drafts = labelled('How many drafts', h('input', { type: 'number', min: 1, max: 100, value: 3 }));
  const draftsBox = h('div', { class: 'row', hidden: true }, drafts.wrap);
  const message = labelled('Your request', h('textarea', { required: true, placeholder: 'e.g. Add the DTMF tool and limit calls to 5 minutes' }));
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const jobHost = h('div', {});
  const form = h('form', { 'aria-label': 'Ask the scenario agent' }, h('div', { class: 'row' }, agent.wrap), draftsBox, message.wrap, h('div', { class: 'actions' }, send));

  const setMode = () => {
    picker.hidden = clarify.checked;
    draftsBox.hidden = !clarify.checked;
  };
  improve.addEventListener('change', setMode);
  clarify.addEventListener('change', setMode);

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      const agentId = agent.input.value ? Number(agent.input.value) : null;
      const body: ScenarioAgentRequest = { user_message: message.input.value.trim(), project_id: ctx.projectId, session_id: ctx.sessionId, agent_id: agentId };
      if (clarify.checked) {
        if (!agentId) throw new Error('Choose the agent to draft scenarios for.');
        body.num_scenarios = Number(drafts.input.value) || 1;
      } else {
        if (!all.checked && !selected.size) throw new Error('Choose at least one scenario to improve, or tick "All scenarios".');
        body.scenarios = all.checked ? 'all' : [...selected];
      }
      if (!body.user_message) throw new Error('Say what the scenario agent should do.');
      send.disabled = true;
      try {
        const started = await ctx.client.scenarioAgent.start(body);
        fill(reviewHost);
        if (ctx.sessionId !== started.session_id) {
          ctx.sessionId = started.session_id;
          await ctx.refreshSessions();
        }
        await ctx.refreshConversation();
        message.input.value = '';
        await followToResult(ctx, jobHost, reviewHost, started.progress_id, clarify.checked ? DOING.clarify : DOING.improve, signal);
      } finally {
        send.disabled = false;
      }
    })();
  });

  fill(host, h('h3', {}, 'Ask the scenario agent'), mode, picker, form, jobHost);
  updateCount();
  await load().catch(showError);
}
