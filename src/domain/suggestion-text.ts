// Suggestions as a person reads them in plain text: the CLI (with colour on a terminal) and the MCP
// tools (without) show a change the same way.
import type { FieldChange, UpdatedScenario, ValidationIssue } from './suggestion.js';
import { wordDiff } from './word-diff.js';

/** How text is marked: colours on a terminal, nothing elsewhere. */
export interface TextStyle {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const same = (s: string) => s;
/** No marks at all, for text read by models and scripts. */
export const PLAIN: TextStyle = { enabled: false, red: same, green: same, yellow: same, dim: same, bold: same };

/** Longer strings (or any with a line break) are shown as a word diff rather than old → new. */
const SHORT_TEXT = 60;

export interface RenderContext {
  style: TextStyle;
  /** Names personalities by id, where the caller has them. */
  personalities?: { name(id: number): string | undefined };
}

const isLongText = (v: unknown) => typeof v === 'string' && (v.length > SHORT_TEXT || v.includes('\n'));
const isPrimitiveList = (v: unknown): v is Array<string | number> => Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number');

function show(field: string, v: unknown, ctx: RenderContext): string {
  if (v === null || v === undefined) return '(none)';
  if (field === 'personality' && typeof v === 'number') {
    const name = ctx.personalities?.name(v);
    return name ? `${name} (#${v})` : `#${v}`;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (isPrimitiveList(v)) return v.length ? v.join(', ') : '(none)';
  return JSON.stringify(v);
}

/** `[-removed-]{+added+}` markers without colour (as `git diff --word-diff=plain`), colour alone with it. */
function renderWordDiff(before: string, after: string, style: TextStyle): string {
  return wordDiff(before, after)
    .map((p) => {
      if (p.op === 'equal') return p.text;
      if (style.enabled) return p.op === 'delete' ? style.red(p.text) : style.green(p.text);
      return p.op === 'delete' ? `[-${p.text}-]` : `{+${p.text}+}`;
    })
    .join('');
}

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

/** One field's change as a person reads it. */
export function renderChange(field: string, change: FieldChange, ctx: RenderContext): string {
  const { style } = ctx;
  const { old: before, new: after } = change;
  if (isLongText(before) || isLongText(after)) {
    return `  ${field}:\n${indent(renderWordDiff(typeof before === 'string' ? before : '', typeof after === 'string' ? after : '', style), '    ')}`;
  }
  if (isPrimitiveList(before ?? []) && isPrimitiveList(after ?? [])) {
    const was = (before ?? []) as Array<string | number>;
    const now = (after ?? []) as Array<string | number>;
    const added = now.filter((x) => !was.includes(x));
    const removed = was.filter((x) => !now.includes(x));
    if (added.length || removed.length) {
      const parts = [...added.map((x) => style.green(`+${x}`)), ...removed.map((x) => style.red(`-${x}`))];
      return `  ${field}: ${parts.join(' ')}`;
    }
  }
  return `  ${field}: ${style.red(show(field, before, ctx))} → ${style.green(show(field, after, ctx))}`;
}

/** A suggestion for an existing scenario: its header, then each changed field. */
export function renderSuggestion(s: UpdatedScenario, ctx: RenderContext): string {
  const head = ctx.style.bold(`#${s.id ?? '?'} ${s.name ?? ''}`.trim()) + (s.based_on_revision ? ctx.style.dim(` (revision ${s.based_on_revision})`) : '');
  // Each change with why it was suggested, and what the reviewer should know of the scenario.
  const changes = Object.entries(s.changes ?? {}).map(
    ([f, c]) => renderChange(f, c, ctx) + (s.reasons?.[f] ? `\n${ctx.style.dim(`    why: ${s.reasons[f]}`)}` : ''),
  );
  const notes = (s.notes ?? []).map((n) => ctx.style.dim(`  note: ${n}`));
  return [head, ...(changes.length ? changes : ['  (no field changes)']), ...notes].join('\n');
}

/** A draft scenario (no id yet): its name and every field it would be created with. */
export function renderDraft(d: UpdatedScenario, n: number, ctx: RenderContext): string {
  const facts = [
    `personality: ${show('personality', d.personality, ctx)}`,
    d.scenario_language ? `language: ${d.scenario_language}` : '',
    d.tags?.length ? `tags: ${d.tags.join(', ')}` : '',
    d.tool_ids?.length ? `tools: ${d.tool_ids.join(', ')}` : '',
  ].filter(Boolean);
  const lines = [ctx.style.bold(`${n}. ${d.name ?? '(unnamed)'}`), `   ${facts.join(' · ')}`];
  if (d.first_message) lines.push(`   first message: ${d.first_message}`);
  if (d.expected_outcome_prompt) lines.push(`   expected outcome: ${d.expected_outcome_prompt}`);
  if (d.instructions) lines.push('   instructions:', indent(d.instructions, '     '));
  return lines.join('\n');
}

export function renderIssues(issues: ValidationIssue[] | undefined, style: TextStyle): string[] {
  return (issues ?? []).map((i) => style.yellow(`! ${i.scenario_id ? `scenario #${i.scenario_id} ` : ''}${i.field ? `${i.field}: ` : ''}${i.message}`));
}
