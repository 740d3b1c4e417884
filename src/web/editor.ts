import { h, uid } from './dom.js';
import { fieldLabel, LANGUAGE_NAMES, type NameBooks, SCENARIO_TYPE_NAMES } from './labels.js';

/** An editor for one suggested value: what it holds now, and the element to show. */
export interface FieldEditor {
  el: HTMLElement;
  read(): unknown;
  focus(): void;
}

const TEXT_FIELDS = new Set(['name', 'first_message', 'instructions', 'simulation_description', 'expected_outcome_prompt', 'folder_path']);

/**
 * Edits a suggested value in place, in the form the field takes: text in a text box, tools and tags
 * as chips, personality, agent, language and type as selects, the call length as a number, and
 * information fields as key/value rows. Anything else is edited as JSON.
 */
export function fieldEditor(field: string, value: unknown, books: NameBooks): FieldEditor {
  const label = `Your ${fieldLabel(field).toLowerCase()}`;
  const id = uid('edit');
  const labelled = (input: HTMLElement) => h('div', { class: 'editor' }, h('label', { for: id }, label), input);

  if (TEXT_FIELDS.has(field)) {
    const multi = field !== 'name' && field !== 'folder_path';
    const input = multi ? h('textarea', { id, rows: 6 }) : h('input', { id, type: 'text' });
    input.value = typeof value === 'string' ? value : '';
    return { el: labelled(input), read: () => (field === 'folder_path' && !input.value.trim() ? null : input.value), focus: () => input.focus() };
  }
  if (field === 'max_duration') {
    const input = h('input', { id, type: 'number', min: 10, max: 3600, step: 1, value: typeof value === 'number' ? value : '' });
    return { el: labelled(h('span', {}, input, ' seconds')), read: () => (input.value === '' ? null : Number(input.value)), focus: () => input.focus() };
  }
  const choices: Record<string, Array<[string, string]>> = {
    personality: [...books.personality].map(([k, v]) => [String(k), v]),
    agent: [...books.agent].map(([k, v]) => [String(k), v]),
    scenario_language: [...LANGUAGE_NAMES],
    scenario_type: Object.entries(SCENARIO_TYPE_NAMES),
  };
  if (choices[field]) {
    const numeric = field === 'personality' || field === 'agent';
    const select = h(
      'select',
      { id },
      choices[field].map(([k, v]) => h('option', { value: k }, v)),
    );
    select.value = String(value ?? '');
    return { el: labelled(select), read: () => (numeric ? Number(select.value) : select.value), focus: () => select.focus() };
  }
  if (field === 'tags' || field === 'tool_ids') return chipsEditor(field, Array.isArray(value) ? value.map(String) : [], books, id, label);
  if (field === 'information_fields' && value && typeof value === 'object' && !Array.isArray(value))
    return keyValueEditor(value as Record<string, unknown>, label);
  const area = h('textarea', { id, rows: 6, spellcheck: 'false' });
  area.value = JSON.stringify(value ?? null, null, 2);
  return {
    el: labelled(area),
    read: () => {
      try {
        return JSON.parse(area.value);
      } catch {
        throw new Error(`${fieldLabel(field)}: not valid JSON.`);
      }
    },
    focus: () => area.focus(),
  };
}

/** Tools and tags as chips: each removable, and an input (with the known tools offered) to add one. */
function chipsEditor(field: string, initial: string[], books: NameBooks, id: string, label: string): FieldEditor {
  const values = [...initial];
  const list = h('ul', { class: 'chips', 'aria-label': `Chosen ${fieldLabel(field).toLowerCase()}` });
  const listId = uid('known');
  const input = h('input', {
    id,
    type: 'text',
    list: field === 'tool_ids' ? listId : null,
    placeholder: field === 'tool_ids' ? 'Add a tool' : 'Add a tag',
    size: 16,
  });
  const known =
    field === 'tool_ids'
      ? h(
          'datalist',
          { id: listId },
          [...books.tool].map(([k, v]) => h('option', { value: k }, v)),
        )
      : null;
  const draw = () => {
    list.replaceChildren(
      ...values.map((v, i) => {
        const shown = field === 'tool_ids' ? (books.tool.get(v) ?? v) : v;
        const remove = h('button', { type: 'button', class: 'small', 'aria-label': `Remove ${shown}` }, '×');
        remove.addEventListener('click', () => {
          values.splice(i, 1);
          draw();
          input.focus();
        });
        return h('li', { class: 'chip' }, shown, ' ', remove);
      }),
    );
  };
  const add = () => {
    const raw = input.value.trim();
    if (!raw) return;
    // A tool typed by its name is stored by its id.
    const byName = field === 'tool_ids' ? [...books.tool].find(([, name]) => name.toLowerCase() === raw.toLowerCase())?.[0] : undefined;
    const v = byName ?? raw;
    if (!values.includes(v)) values.push(v);
    input.value = '';
    draw();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ',') {
      e.preventDefault();
      add();
    }
  });
  draw();
  const addButton = h('button', { type: 'button', class: 'small' }, 'Add');
  addButton.addEventListener('click', add);
  return {
    el: h('div', { class: 'editor' }, h('label', { for: id }, label), list, h('div', { class: 'actions' }, input, known, addButton)),
    read: () => {
      // A value typed but not yet added counts: the reviewer meant it.
      add();
      return [...values];
    },
    focus: () => input.focus(),
  };
}

/** Information fields as rows of key and value, with a row to add one. */
function keyValueEditor(initial: Record<string, unknown>, label: string): FieldEditor {
  const body = h('div', { class: 'kv', role: 'group', 'aria-label': label });
  const row = (k = '', v = '') => {
    const key = h('input', { type: 'text', value: k, 'aria-label': 'Key', size: 14 });
    const val = h('input', { type: 'text', value: v, 'aria-label': `Value of ${k || 'new key'}`, size: 24 });
    const remove = h('button', { type: 'button', class: 'small', 'aria-label': `Remove ${k || 'this row'}` }, '×');
    const r = h('div', { class: 'kv-row' }, key, val, remove);
    remove.addEventListener('click', () => r.remove());
    body.append(r);
    return key;
  };
  for (const [k, v] of Object.entries(initial)) row(k, typeof v === 'string' ? v : JSON.stringify(v));
  const addRow = h('button', { type: 'button', class: 'small' }, 'Add a field');
  addRow.addEventListener('click', () => row().focus());
  return {
    el: h('div', { class: 'editor' }, h('span', { class: 'label' }, label), body, addRow),
    read: () =>
      Object.fromEntries(
        [...body.querySelectorAll('.kv-row')].flatMap((r) => {
          const [k, v] = [...r.querySelectorAll('input')].map((i) => i.value);
          return k?.trim() ? [[k.trim(), v ?? '']] : [];
        }),
      ),
    focus: () => (body.querySelector('input') ?? addRow).focus(),
  };
}
