import type { NotDone, Personality, Progress, ScenarioAgentResult, UpdatedScenario } from '../client/index.js';
import { summarizeSuggestions, summaryLine } from '../domain/suggestion-review.js';
import { renderDraft, renderIssues, renderSuggestion } from '../domain/suggestion-text.js';
import type { NameBook } from './refs.js';
import { plural, type Style } from './terminal.js';

/** The change summary: one line per field (and per tool or tag added or removed), with its count. */
export function renderSummary(items: readonly UpdatedScenario[], style: Style): string[] {
  const rows = summarizeSuggestions(items.filter((s) => typeof s.id === 'number'));
  const drafts = items.filter((s) => typeof s.id !== 'number').length;
  const lines = [style.bold(`Changes by field (${plural(items.length - drafts, 'scenario')}${drafts ? `, ${plural(drafts, 'new scenario')}` : ''}):`)];
  for (const r of rows) lines.push(`  ${summaryLine(r)}`);
  if (drafts) lines.push(`  new scenarios × ${drafts}`);
  return lines;
}

export function renderNotDone(notDone: readonly NotDone[] | undefined, style: Style): string[] {
  return (notDone ?? []).map((n) => style.yellow(`! not done: "${n.part}": ${n.reason}`));
}

/** Every suggestion after the summary: scenarios by id, drafts numbered as `--only` takes them. */
export function renderItems(items: readonly UpdatedScenario[], ctx: { style: Style; personalities?: NameBook<Personality> }): string[] {
  const out: string[] = [];
  let n = 0;
  for (const s of items) out.push(typeof s.id === 'number' ? renderSuggestion(s, ctx) : renderDraft(s, ++n, ctx), '');
  return out;
}

/** A job's suggestions as `show` prints them: what it is, the summary, each suggestion, then what was not done. */
export function renderJob(job: Progress<ScenarioAgentResult>, ctx: { style: Style; personalities?: NameBook<Personality> }): string {
  const r = job.result;
  const items = r && r.kind !== 'apply' ? r.updated_scenarios : [];
  const state = job.review_state
    ? ` · ${job.review_state.replace('_', ' ')}${job.review_state === 'to_review' && job.review_count ? ` (${job.review_count})` : ''}`
    : '';
  const lines = [ctx.style.bold(`Job ${job.progress_id}`), `${job.mode} · ${job.status}${state} · session ${job.session_id ?? '-'}`, ''];
  if (r?.message) lines.push(r.message, '');
  if (items.length) lines.push(...renderSummary(items, ctx.style), '', ...renderItems(items, ctx));
  lines.push(...renderNotDone(r?.not_done, ctx.style), ...renderIssues(r?.validation_issues, ctx.style));
  return lines.join('\n').trimEnd();
}
