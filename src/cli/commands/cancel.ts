import type { Command } from 'commander';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { EXIT, exitingAction } from '../exit-codes.js';

export function registerCancel(program: Command): void {
  const cmd = withConnection(
    program
      .command('cancel')
      .description('Cancel a running scenario-agent job; nothing it would have written is written.')
      .argument('<progress-id>', 'the job, as `improve` and `generate` print it'),
  ).addHelpText(
    'after',
    '\nExample:\n  scenarist cancel 0b6c1f0e-5d8a-4c52-9a51-2f7c3e1d9a40\n\nExits 3 when the job had already finished (its state is printed).',
  );
  exitingAction(cmd, async (progressId: string, opts: ConnectionOptions) => {
    const client = clientFrom(opts);
    const res = await client.scenarioAgent.cancel({ progress_id: progressId });
    if (opts.json) printJson(res);
    else if (res.success) process.stdout.write(`Cancelled job ${progressId}${res.session_id ? ` (session ${res.session_id})` : ''}.\n`);
    else process.stdout.write(`Job ${progressId} had already finished: ${res.status ?? 'unknown'}.\n`);
    return res.success ? EXIT.ok : EXIT.conflict;
  });
}
