import type { ApplyResult, Progress, ScenaristClient, UpdatedScenario } from '../client/index.js';
import { renderIssues } from '../domain/suggestion-text.js';
import { CliExit, EXIT } from './exit-codes.js';
import { unfinished, waitWithProgress } from './job-progress.js';
import type { Style } from './terminal.js';

/**
 * Applies suggestions (improve's or generate's) in one job and reports every conflict: the apply is
 * all or nothing, so one changed scenario stops them all, and the person must see which.
 */
export async function applySuggestions(
  client: ScenaristClient,
  items: UpdatedScenario[],
  opts: { sessionId: number | null; projectId?: number; sourceProgressId?: string; quiet?: boolean; style: Style },
): Promise<Progress<ApplyResult>> {
  const started = await client.scenarioAgent.apply(items, {
    session_id: opts.sessionId,
    project_id: opts.projectId,
    source_progress_id: opts.sourceProgressId,
  });
  const done = await waitWithProgress<ApplyResult>(client, started.progress_id, 'Applying', { quiet: opts.quiet });
  const failed = unfinished(done);
  if (failed) throw failed;
  return done;
}

/** The lines that explain an apply's outcome, and the exit status it means. */
export function applyOutcome(done: Progress<ApplyResult>, style: Style): { lines: string[]; code: number } {
  const r = done.result;
  if (!r) throw new CliExit(EXIT.failure, 'The apply job finished without a result.');
  if (r.already_applied) return { lines: [style.yellow(r.message)], code: EXIT.ok };
  if (r.success) {
    const edited = (r.edited_fields ?? []).map((e) => style.dim(`  edited by you: scenario #${e.scenario_id} ${e.fields.join(', ')}`));
    return { lines: [style.green(r.message), ...edited], code: EXIT.ok };
  }
  const lines = [style.red(r.message)];
  for (const c of r.conflicts) {
    const why =
      c.reason === 'deleted'
        ? 'was deleted'
        : `changed since the suggestion (suggested for revision ${c.based_on_revision ?? '?'}, now ${c.current_revision ?? '?'})`;
    lines.push(style.red(`  conflict: scenario #${c.scenario_id} ${why}`));
  }
  lines.push(...renderIssues(r.validation_issues, style).map((l) => `  ${l}`));
  return { lines, code: r.conflicts.length ? EXIT.conflict : EXIT.failure };
}
