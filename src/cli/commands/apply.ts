import type { Command } from 'commander';
import type { ImproveResult, UpdatedScenario } from '../../client/index.js';
import { SUGGESTIBLE_FIELDS } from '../../domain/suggestion.js';
import { selectSuggestions } from '../../domain/suggestion-review.js';
import { applyOutcome, applySuggestions } from '../apply-changes.js';
import { idList, namesFrom } from '../arguments.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { page } from '../pager.js';
import { Prompter } from '../prompt.js';
import { personalityBook } from '../refs.js';
import { renderItems, renderSummary } from '../review-view.js';
import { plural, styleFor } from '../terminal.js';

interface ApplyOptions extends ConnectionOptions {
  yes?: boolean;
  only?: number[];
  fields?: string[];
}

/** The part of a job's suggestions to apply: `--only` scenario ids (or draft numbers, as `show` numbers them) and `--fields`. */
export function chosenPart(items: UpdatedScenario[], only: number[] | undefined, fields: string[] | undefined): UpdatedScenario[] {
  const drafts = items.filter((s) => typeof s.id !== 'number');
  const chosen = selectSuggestions(
    items.filter((s) => typeof s.id === 'number'),
    { scenarioIds: only, fields },
  );
  // Drafts are created whole, so --fields leaves them as they are; --only picks them by number.
  const pickedDrafts = only ? drafts.filter((_, i) => only.includes(i + 1)) : drafts;
  if (only) {
    const known = new Set([...items.flatMap((s) => (typeof s.id === 'number' ? [s.id] : [])), ...drafts.map((_, i) => i + 1)]);
    const missing = only.filter((id) => !known.has(id));
    if (missing.length) throw new CliExit(EXIT.usage, `This job suggests nothing for ${missing.join(', ')} (see \`scenarist show\`).`);
  }
  return [...chosen, ...pickedDrafts];
}

export function registerApply(program: Command): void {
  const cmd = withConnection(
    program
      .command('apply')
      .description('Apply the suggestions of an earlier `improve` or `generate` job, all of them or a part, exactly as they were shown.')
      .argument('<progress-id>', 'the job whose suggestions to apply, as `improve` prints it')
      .option('--only <ids>', 'only these scenarios (ids, e.g. 3,5; for drafts, their numbers in `show`)', idList)
      .option('--fields <fields>', `only these fields, e.g. tool_ids,tags (of ${SUGGESTIBLE_FIELDS.join(', ')})`, namesFrom(SUGGESTIBLE_FIELDS))
      .option('-y, --yes', 'do not ask'),
  ).addHelpText(
    'after',
    `
Examples:
  scenarist apply 9ae7acf8-2449-421e-adef-bb51375330ec --yes
  scenarist apply 9ae7acf8-2449-421e-adef-bb51375330ec --only 3,5 --fields tool_ids,tags

Shows what it will apply before asking. Exits 3, applying nothing, when any of the scenarios changed
after the suggestion was made; applying suggestions already applied says so and exits 0.`,
  );
  exitingAction(cmd, async (progressId: string, opts: ApplyOptions) => {
    const client = clientFrom(opts);
    const style = styleFor(process.stdout);
    const job = await client.scenarioAgent.progress<ImproveResult>(progressId);
    if (job.status !== 'completed' || !job.result) throw new CliExit(EXIT.usage, `Job ${progressId} has no suggestions to apply (status: ${job.status}).`);
    if (job.mode !== 'improve' && job.mode !== 'clarify')
      throw new CliExit(EXIT.usage, `Job ${progressId} is an ${job.mode} job; only improve and generate suggestions can be applied.`);
    const all = job.result.updated_scenarios ?? [];
    if (!all.length) throw new CliExit(EXIT.usage, `Job ${progressId} suggested no changes.`);
    if (job.review_state === 'applied') {
      (opts.json ? process.stderr : process.stdout).write(`The suggestions of job ${progressId} were already applied; nothing was written.\n`);
      if (opts.json) printJson({ already_applied: true, progress_id: progressId });
      return EXIT.ok;
    }
    const items = chosenPart(all, opts.only, opts.fields);
    if (!items.length) throw new CliExit(EXIT.usage, `Nothing of job ${progressId} matches --only/--fields (see \`scenarist show ${progressId}\`).`);
    const scenarios = items.filter((s) => typeof s.id === 'number').length;
    const drafts = items.length - scenarios;
    const fields = items.reduce((n, s) => n + (typeof s.id === 'number' ? Object.keys(s.changes ?? {}).length : 0), 0);
    if (!opts.yes) {
      // What will be applied, before the question: the summary, then each scenario (paged when long).
      const book = items.some((s) => s.personality !== undefined) ? await personalityBook(client).catch(() => undefined) : undefined;
      await page(
        [...renderSummary(items, style), '', ...renderItems(items, { style, personalities: book })].join('\n').trimEnd(),
        opts.json ? process.stderr : process.stdout,
      );
      const what = [scenarios ? `${plural(fields, 'change')} to ${plural(scenarios, 'scenario')}` : '', drafts ? `create ${plural(drafts, 'scenario')}` : '']
        .filter(Boolean)
        .join(' and ');
      const prompter = new Prompter();
      const yes = await prompter.confirm(`Apply ${what}?`).finally(() => prompter.close());
      if (!yes) {
        process.stderr.write(
          `Not applied. Apply later with: scenarist apply ${progressId}${opts.only ? ` --only ${opts.only.join(',')}` : ''}${opts.fields ? ` --fields ${opts.fields.join(',')}` : ''}\n`,
        );
        return EXIT.ok;
      }
    }
    // The job's session tells the server which project the changes belong to.
    const applied = await applySuggestions(client, items, { sessionId: job.session_id, sourceProgressId: progressId, quiet: Boolean(opts.json), style });
    const outcome = applyOutcome(applied, style);
    if (opts.json) printJson(applied);
    if (!opts.json || outcome.code !== EXIT.ok) (opts.json ? process.stderr : process.stdout).write(`${outcome.lines.join('\n')}\n`);
    return outcome.code;
  });
}
