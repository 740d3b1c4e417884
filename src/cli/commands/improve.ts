import { type Command, InvalidArgumentError } from 'commander';
import type { ImproveResult } from '../../client/index.js';
import { renderIssues, renderSuggestion } from '../../domain/suggestion-text.js';
import { applyOutcome, applySuggestions } from '../apply-changes.js';
import { integerIn } from '../arguments.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { unfinished, waitWithProgress } from '../job-progress.js';
import { Prompter } from '../prompt.js';
import { chosenProject, personalityBook, resolveAgent, resolveProject } from '../refs.js';
import { renderNotDone, renderSummary } from '../review-view.js';
import { type SelectionOptions, selectScenarios, selects, withSelection } from '../scenario-selection.js';
import { plural, styleFor } from '../terminal.js';

interface ImproveOptions extends ConnectionOptions, SelectionOptions {
  project?: string;
  agent?: string;
  scenarios: number[] | 'all';
  session?: number;
  apply?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  summary?: boolean;
}

/** `all`, or a comma-separated list of scenario ids. */
export function parseSelection(value: string): number[] | 'all' {
  if (value.trim().toLowerCase() === 'all') return 'all';
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!ids.length || !ids.every((s) => /^\d{1,10}$/.test(s) && Number(s) > 0))
    throw new InvalidArgumentError('use "all" or scenario ids separated by commas, e.g. 1,2,3');
  return ids.map(Number);
}

export function registerImprove(program: Command): void {
  const cmd = withConnection(
    withSelection(
      program
        .command('improve')
        .description('Ask the scenario agent to change scenarios, review the suggested changes as a diff, and optionally apply them.')
        .argument('<request>', 'what to change, in plain language, e.g. "Add the DTMF tool and limit calls to 5 minutes"')
        .option('--project <id|name>', 'the project whose scenarios to improve')
        .option('--agent <id|name>', 'limit "all" to this agent\'s scenarios; also the agent for scenarios that have none')
        .option('--scenarios <ids|all>', 'which scenarios: "all" or ids such as 1,2,3 (or pick them with --tag, --folder, --name)', parseSelection, 'all')
        .option('--session <id>', 'continue an earlier conversation (see `scenarist sessions list`)', integerIn(1))
        .option('--summary', 'show only the changes by field, not each scenario (`scenarist show <progress-id>` shows them later)')
        .option('--apply', 'apply the suggestions after showing them (asks first)')
        .option('--dry-run', 'only show the suggestions (the default; says so explicitly, e.g. in CI)')
        .option('-y, --yes', 'with --apply: do not ask'),
    ),
  ).addHelpText(
    'after',
    `
Examples:
  scenarist improve --project 1 "Add the DTMF tool and limit calls to 5 minutes"
  scenarist improve --project Default --scenarios 3,4 --apply --yes "Set the language to Spanish"
  scenarist improve --tag billing --folder Billing.Refunds "Limit calls to 5 minutes"

Nothing is written unless you apply. A scenario edited after the suggestion was made is a conflict:
nothing is applied and the command exits 3.`,
  );
  exitingAction(cmd, async (request: string, opts: ImproveOptions) => {
    const client = clientFrom(opts);
    const style = styleFor(process.stdout);
    if (opts.yes && !opts.apply) throw new CliExit(EXIT.usage, '--yes only means something with --apply.');
    if (opts.dryRun && opts.apply) throw new CliExit(EXIT.usage, '--dry-run and --apply contradict each other.');
    if (selects(opts) && opts.scenarios !== 'all')
      throw new CliExit(EXIT.usage, '--scenarios names scenarios by id; --tag, --folder and --name pick them instead. Use one or the other.');
    let project = opts.project ? await resolveProject(client, opts.project) : undefined;
    const agent = opts.agent ? await resolveAgent(client, opts.agent, project?.id) : undefined;
    // "All" of no project and no agent is the default project's (the only one, or the configured one).
    if (opts.scenarios === 'all' && !project && !agent) project = await chosenProject(client, undefined);
    let scenarios = opts.scenarios;
    if (selects(opts)) {
      const picked = await selectScenarios(client, { projectId: project?.id, agentId: agent?.id }, opts);
      if (!picked.length)
        throw new CliExit(
          EXIT.notFound,
          'No scenarios match --tag, --folder and --name; `scenarist scenarios list` with the same options shows what there is.',
        );
      scenarios = picked.map((s) => s.id);
      if (!opts.json) process.stderr.write(`Selected ${plural(picked.length, 'scenario')}: ${picked.map((s) => `#${s.id}`).join(', ')}.\n`);
    }

    const started = await client.scenarioAgent.improve({
      scenarios,
      user_message: request,
      project_id: project?.id,
      agent_id: agent?.id,
      session_id: opts.session,
    });
    const done = await waitWithProgress<ImproveResult>(client, started.progress_id, 'Improving');
    const failed = unfinished(done);
    if (failed) throw failed;
    const result = done.result!;
    if (done.status === 'needs_agent_clarification') {
      if (opts.json) printJson({ improve: done, apply: null });
      const agents = result.available_agents.map((a) => `${a.id} ${a.agent_name}`).join(', ') || 'none';
      throw new CliExit(EXIT.usage, `${result.message}\nRun again with --agent <id|name> (agents: ${agents}).`);
    }
    const suggestions = result.updated_scenarios;

    if (!opts.json) {
      const book = suggestions.some((s) => s.changes && 'personality' in s.changes) ? await personalityBook(client, project?.id) : undefined;
      const out: string[] = [result.message, ''];
      if (suggestions.length) out.push(...renderSummary(suggestions, style), '');
      if (!opts.summary) for (const s of suggestions) out.push(renderSuggestion(s, { style, personalities: book }), '');
      out.push(...renderNotDone(result.not_done, style), ...renderIssues(result.validation_issues, style));
      out.push(
        suggestions.length
          ? `${plural(suggestions.length, 'scenario')} would change (session ${done.session_id}).${opts.apply ? '' : ` Nothing has been written: \`scenarist apply ${done.progress_id}\` applies these${opts.summary ? `, \`scenarist show ${done.progress_id}\` shows each` : ''}.`}`
          : 'No changes to suggest.',
      );
      process.stdout.write(`${out.join('\n')}\n`);
    }

    if (opts.apply && suggestions.length) {
      const prompter = new Prompter();
      try {
        if (!opts.yes && !(await prompter.confirm(`Apply ${plural(suggestions.length, 'change')}?`))) {
          process.stderr.write(`Not applied. Apply later with: scenarist apply ${done.progress_id}\n`);
          if (opts.json) printJson({ improve: done, apply: null });
          return EXIT.ok;
        }
      } finally {
        prompter.close();
      }
      const applied = await applySuggestions(client, suggestions, {
        sessionId: done.session_id,
        projectId: project?.id,
        sourceProgressId: done.progress_id,
        style,
      });
      const outcome = applyOutcome(applied, style);
      if (opts.json) {
        printJson({ improve: done, apply: applied });
        if (outcome.code !== EXIT.ok) process.stderr.write(`${outcome.lines.join('\n')}\n`);
      } else process.stdout.write(`${outcome.lines.join('\n')}\n`);
      return outcome.code;
    }
    if (opts.json) printJson({ improve: done, apply: null });
    return EXIT.ok;
  });
}
