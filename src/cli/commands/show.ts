import type { Command } from 'commander';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { exitingAction } from '../exit-codes.js';
import { page } from '../pager.js';
import { personalityBook } from '../refs.js';
import { renderJob } from '../review-view.js';
import { styleFor } from '../terminal.js';

export function registerShow(program: Command): void {
  const cmd = withConnection(
    program
      .command('show')
      .description("Show a job's suggestions again: the summary by field first, then each scenario (paged on a terminal).")
      .argument('<progress-id>', 'the job, as `improve`, `generate` or `sessions show` print it'),
  ).addHelpText(
    'after',
    `
Examples:
  scenarist show 9ae7acf8-2449-421e-adef-bb51375330ec
  scenarist show 9ae7acf8-2449-421e-adef-bb51375330ec --json | jq '.result.updated_scenarios | length'

Then apply all of it, or a part: scenarist apply <progress-id> --only 3,5 --fields tool_ids,tags`,
  );
  exitingAction(cmd, async (progressId: string, opts: ConnectionOptions) => {
    const client = clientFrom(opts);
    const job = await client.scenarioAgent.progress(progressId);
    if (opts.json) {
      printJson(job);
      return;
    }
    const items = job.result && job.result.kind !== 'apply' ? job.result.updated_scenarios : [];
    const book = items.some((s) => s.personality !== undefined) ? await personalityBook(client).catch(() => undefined) : undefined;
    const style = styleFor(process.stdout);
    const waiting = items.length && (job.review_state === 'to_review' || job.review_state === 'partly_applied');
    const next = waiting ? `\nApply with: scenarist apply ${job.progress_id}   (a part: --only <ids> --fields <fields>)` : '';
    await page(renderJob(job, { style, personalities: book }) + next);
  });
}
