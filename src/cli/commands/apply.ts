import type { Command } from 'commander';
import type { ImproveResult } from '../../client/index.js';
import { applyOutcome, applySuggestions } from '../apply-changes.js';
import { clientFrom, printJson, withConnection, type ConnectionOptions } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { Prompter } from '../prompt.js';
import { plural, styleFor } from '../terminal.js';

export function registerApply(program: Command): void {
  const cmd = withConnection(
    program
      .command('apply')
      .description('Apply the suggestions of an earlier `improve` or `generate` job, exactly as they were shown.')
      .argument('<progress-id>', 'the job whose suggestions to apply, as `improve` prints it')
      .option('-y, --yes', 'do not ask'),
  ).addHelpText(
    'after',
    '\nExample:\n  scenarist apply 9ae7acf8-2449-421e-adef-bb51375330ec --yes\n\nExits 3, applying nothing, when any of the scenarios changed after the suggestion was made.',
  );
  exitingAction(cmd, async (progressId: string, opts: ConnectionOptions & { yes?: boolean }) => {
    const client = clientFrom(opts);
    const style = styleFor(process.stdout);
    const job = await client.scenarioAgent.progress<ImproveResult>(progressId);
    if (job.status !== 'completed' || !job.result) throw new CliExit(EXIT.usage, `Job ${progressId} has no suggestions to apply (status: ${job.status}).`);
    if (job.mode !== 'improve' && job.mode !== 'clarify') throw new CliExit(EXIT.usage, `Job ${progressId} is an ${job.mode} job; only improve and generate suggestions can be applied.`);
    const items = job.result.updated_scenarios ?? [];
    if (!items.length) throw new CliExit(EXIT.usage, `Job ${progressId} suggested no changes.`);
    if (!opts.yes) {
      const prompter = new Prompter();
      const what = job.mode === 'clarify' ? `Create ${plural(items.length, 'scenario')}?` : `Apply ${plural(items.length, 'change')} to ${plural(items.length, 'scenario')}?`;
      const yes = await prompter.confirm(what).finally(() => prompter.close());
      if (!yes) {
        process.stderr.write('Not applied.\n');
        return EXIT.ok;
      }
    }
    // The job's session tells the server which project the changes belong to.
    const applied = await applySuggestions(client, items, { sessionId: job.session_id, quiet: Boolean(opts.json), style });
    const outcome = applyOutcome(applied, style);
    if (opts.json) printJson(applied);
    if (!opts.json || outcome.code !== EXIT.ok) (opts.json ? process.stderr : process.stdout).write(outcome.lines.join('\n') + '\n');
    return outcome.code;
  });
}
