import type { AiAgent, Scenario, ScenarioAgentRequest } from '../client/index.js';
import { ApiError } from '../client/index.js';
import { errorText, guarded, type PageContext, showError } from './context.js';
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

/** What the rest of the page may ask of the request form. */
export interface Composer {
  /** Sends a request as Send does (the open conversation continues), and follows it to its suggestions. */
  send(body: ScenarioAgentRequest, doing: string): void;
}

/**
 * The request form: improve chosen scenarios (picked by search, folder, tag, or all of them) or
 * draft new ones for an agent; then follows the job and shows its suggestions for review.
 */
export async function renderComposer(ctx: PageContext, host: HTMLElement, reviewHost: HTMLElement, signal: AbortSignal): Promise<Composer> {
  const [agents, folders] = await Promise.all([
    ctx.client.aiagents.all({ project_id: ctx.projectId }),
    ctx.client.scenarios.folders({ project_id: ctx.projectId, page_size: 1000 }).then((p) => p.results),
  ]);
  const selected = new Set<number>();
  const names = new Map<number, string>();

  const improve = h('input', { type: 'radio', name: 'mode', value: 'improve', checked: true });
  const clarify = h('input', { type: 'radio', name: 'mode', value: 'clarify' });
  const mode = h(
    'fieldset',
    {},
    h('legend', {}, 'Request'),
    h('label', { class: 'inline' }, improve, ' Improve existing scenarios'),
    ' ',
    h('label', { class: 'inline' }, clarify, ' Draft new scenarios for an agent'),
  );
  const agent = labelled(
    'Agent',
    h(
      'select',
      {},
      h('option', { value: '' }, '(any / as the scenarios say)'),
      agents.map((a: AiAgent) => h('option', { value: a.id }, a.agent_name)),
    ),
    'Needed to draft new scenarios; optional when improving.',
  );

  // The scenario picker.
  const search = labelled('Search', h('input', { type: 'search', placeholder: 'name or text' }));
  const folder = labelled(
    'Folder',
    h(
      'select',
      {},
      h('option', { value: '' }, '(any)'),
      folders.map((f) => h('option', { value: f.path }, f.path)),
    ),
  );
  const tag = labelled('Tag', h('input', { type: 'text', placeholder: 'e.g. billing', size: 12 }));
  const find = h('button', { type: 'submit' }, 'Find');
  const all = h('input', { type: 'checkbox' });
  const list = h('ul', { class: 'picker-list', 'aria-label': 'Scenarios found' });
  const count = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'selection-count' });
  const selectShown = h('button', { type: 'button' }, 'Select all shown');
  const clearSel = h('button', { type: 'button' }, 'Clear selection');

  const updateCount = () => {
    count.textContent = all.checked
      ? 'All scenarios of the project (or of the agent, if one is chosen) will be improved.'
      : `${selected.size} scenario(s) selected.`;
    list.querySelectorAll('input').forEach((b) => {
      b.disabled = all.checked;
    });
  };
  const showScenarios = (rows: Scenario[]) => {
    fill(
      list,
      rows.length
        ? rows.map((s) => {
            names.set(s.id, s.name);
            const box = h('input', { type: 'checkbox', value: s.id, checked: selected.has(s.id), disabled: all.checked });
            box.addEventListener('change', () => {
              if (box.checked) selected.add(s.id);
              else selected.delete(s.id);
              updateCount();
            });
            // One tab stop per row: the checkbox; its History button is reached with the right arrow key.
            const history = h(
              'button',
              { type: 'button', class: 'small', tabindex: -1, 'aria-label': `Revision history of ${s.name}`, 'aria-keyshortcuts': 'ArrowRight' },
              'History',
            );
            history.addEventListener('click', () => void openHistory(ctx, s.id, s.name, history));
            box.addEventListener('keydown', (e) => {
              if (e.key === 'ArrowRight') {
                e.preventDefault();
                history.focus();
              }
            });
            history.addEventListener('keydown', (e) => {
              if (e.key === 'ArrowLeft') {
                e.preventDefault();
                box.focus();
              }
            });
            return h(
              'li',
              {},
              h(
                'label',
                { class: 'inline' },
                box,
                ` ${s.name}`,
                s.tags.length ? h('span', { class: 'hint' }, ` · ${s.tags.join(', ')}`) : null,
                s.folder_path ? h('span', { class: 'hint' }, ` · ${s.folder_path}`) : null,
              ),
              ' ',
              history,
            );
          })
        : h('li', { class: 'empty', 'data-testid': 'no-scenarios' }, ...(filtered() ? ['No scenarios match this search.'] : emptyProject())),
    );
  };
  const filtered = () => Boolean(search.input.value.trim() || folder.input.value || tag.input.value.trim());
  /** An empty project says what to do next: import scenarios, draft some, or create one by hand. */
  const emptyProject = () => {
    const draft = h('button', { type: 'button', class: 'small' }, 'Draft scenarios for an agent');
    draft.addEventListener('click', () => {
      clarify.checked = true;
      setMode();
      message.input.focus();
    });
    return [
      'This project has no scenarios yet. ',
      draft,
      ' from its description and knowledge base, or add them from a terminal:',
      h(
        'pre',
        { class: 'text' },
        `scenarist scenarios import --project ${ctx.projectId} scenarios/\ncurl -X POST ${location.origin}/test_framework/v1/scenarios/ -H "X-CEKURA-API-KEY: $KEY" \\\n  -H 'content-type: application/json' -d '{"name": "Refund request", "personality": 1, "project": ${ctx.projectId}}'`,
      ),
    ];
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
    if (page.count > page.results.length)
      list.append(h('li', { class: 'hint' }, `Showing the first ${page.results.length} of ${page.count}; narrow the search to see the rest.`));
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
  const picker = h(
    'fieldset',
    {},
    h('legend', {}, 'Scenarios to improve'),
    pickerForm,
    list,
    h('div', { class: 'actions' }, h('label', { class: 'inline' }, all, ' All scenarios'), selectShown, clearSel),
    count,
  );

  const drafts = labelled('How many drafts', h('input', { type: 'number', min: 1, max: 100, value: 3 }));
  const files = labelled(
    'Knowledge-base files',
    h('input', { type: 'file', multiple: true, accept: '.txt,.md,.markdown,.pdf,text/plain,text/markdown,application/pdf' }),
    'Text, Markdown or PDF: uploaded to the agent and used for these drafts.',
  );
  const draftsBox = h('div', { class: 'row', hidden: true }, drafts.wrap, files.wrap);
  const IMPROVE_HINT = 'e.g. Add the DTMF tool and limit calls to 5 minutes';
  const DRAFT_HINT = 'e.g. Callers disputing a double charge, in Spanish, some of them angry';
  const message = labelled('Your request', h('textarea', { required: true, placeholder: IMPROVE_HINT }), 'Ctrl+Enter (⌘+Enter) sends.');
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  // Problems with the request are said beside Send, where the user is looking.
  const formError = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'send-error' });
  const jobHost = h('div', {});
  const form = h(
    'form',
    { 'aria-label': 'Ask the scenario agent' },
    h('div', { class: 'row' }, agent.wrap),
    draftsBox,
    message.wrap,
    h('div', { class: 'actions' }, send, formError),
  );
  message.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const setMode = () => {
    picker.hidden = clarify.checked;
    draftsBox.hidden = !clarify.checked;
    message.input.placeholder = clarify.checked ? DRAFT_HINT : IMPROVE_HINT;
  };
  improve.addEventListener('change', setMode);
  clarify.addEventListener('change', setMode);

  /** Sends a request and follows it; a failed job offers to send the very same body again. */
  const run = async (body: ScenarioAgentRequest, doing: string) => {
    send.disabled = true;
    try {
      const started = await ctx.client.scenarioAgent.start({ ...body, session_id: ctx.sessionId });
      fill(reviewHost);
      if (ctx.sessionId !== started.session_id) {
        ctx.sessionId = started.session_id;
        ctx.onSessionOpened?.(started.session_id);
        await ctx.refreshSessions();
      }
      await ctx.refreshConversation();
      message.input.value = '';
      await followToResult(ctx, jobHost, reviewHost, started.progress_id, doing, signal, () => void run(body, doing).catch(showError));
    } catch (e) {
      formError.textContent = errorText(e);
      if (!(e instanceof ApiError)) throw e;
    } finally {
      send.disabled = false;
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    formError.textContent = '';
    const problem = (text: string, el: HTMLElement) => {
      formError.textContent = text;
      el.focus();
    };
    const agentId = agent.input.value ? Number(agent.input.value) : null;
    const body: ScenarioAgentRequest = { user_message: message.input.value.trim(), project_id: ctx.projectId, agent_id: agentId };
    if (clarify.checked) {
      if (!agentId) return problem('Choose the agent to draft scenarios for.', agent.input);
      body.num_scenarios = Number(drafts.input.value) || 1;
    } else {
      if (!all.checked && !selected.size) return problem('Choose at least one scenario to improve, or tick "All scenarios".', search.input);
      body.scenarios = all.checked ? 'all' : [...selected];
    }
    const chosen = [...(files.input.files ?? [])];
    if (!body.user_message && !(clarify.checked && chosen.length)) return problem('Say what the scenario agent should do.', message.input);
    guarded(async () => {
      if (clarify.checked && chosen.length) {
        send.disabled = true;
        try {
          const uploaded = await ctx.client.knowledgeBaseFiles.upload(
            { agent: agentId! },
            await Promise.all(chosen.map(async (f) => ({ name: f.name, content: new Uint8Array(await f.arrayBuffer()) }))),
          );
          body.knowledge_base = uploaded.map((f) => f.id);
          files.input.value = '';
        } catch (e) {
          send.disabled = false;
          return problem(`The files could not be uploaded: ${errorText(e)}`, files.input);
        }
      }
      await run(body, clarify.checked ? DOING.clarify : DOING.improve);
    })();
  });

  fill(host, h('h3', {}, 'Ask the scenario agent'), mode, picker, form, jobHost);
  updateCount();
  await load().catch(showError);
  return { send: (body, doing) => void run(body, doing).catch(showError) };
}
