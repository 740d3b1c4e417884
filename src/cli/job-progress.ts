import type { Progress, ScenaristClient } from '../client/index.js';
import { failureInWords, retryWhen } from '../domain/job-failure.js';
import { CliExit, EXIT } from './exit-codes.js';

const BAR_WIDTH = 24;

/**
 * Shows a job's progress on stderr: a bar redrawn in place on a terminal, otherwise one plain line
 * each time the count moves (so logs and CI output stay readable).
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let last = '';
  return {
    update(p: Progress) {
      const { done, total } = p.progress;
      if (stream.isTTY) {
        const filled = total ? Math.round((done / total) * BAR_WIDTH) : 0;
        const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        stream.write(`\r\x1b[2K${label} ${bar} ${done}/${total || '?'}  ${secs}s`);
        return;
      }
      const line = total ? `${label} ${done}/${total}` : `${label}…`;
      if (line !== last && p.status === 'in_progress') stream.write(`${line}\n`);
      last = line;
    },
    finish() {
      if (stream.isTTY) stream.write('\r\x1b[2K');
    },
  };
}

/**
 * Waits for a job while showing its progress. Ctrl-C cancels the job on the server (rather than
 * leaving it running unseen) and exits 130.
 */
export async function waitWithProgress<R>(client: ScenaristClient, progressId: string, label: string, opts: { quiet?: boolean } = {}): Promise<Progress<R>> {
  const reporter = opts.quiet ? null : progressReporter(label);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new CliExit(EXIT.interrupted, `Cancelled job ${progressId}.`));
  process.once('SIGINT', onSigint);
  try {
    return await client.waitFor<R>(progressId, { signal: controller.signal, onProgress: (p) => reporter?.update(p) });
  } catch (err) {
    if (controller.signal.aborted) await client.scenarioAgent.cancel({ progress_id: progressId }).catch(() => undefined);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    reporter?.finish();
  }
}

/**
 * A job that ended without a usable result: failed (with why in words, and whether running the
 * same command again may work), cancelled, or waiting for an answer we cannot give.
 */
export function unfinished(p: Progress<unknown>): CliExit | null {
  if (p.status === 'failed') {
    const why = failureInWords(p.failure_kind);
    const again = p.retry_request ? ` Running the same command again may work ${retryWhen(p.failure_kind)}.` : '';
    return new CliExit(EXIT.failure, `The job failed${why ? ` (${why})` : ''}: ${p.error ?? 'no reason given'}${again}`);
  }
  if (p.status === 'cancelled') return new CliExit(EXIT.failure, `The job was cancelled (progress id ${p.progress_id}).`);
  return null;
}
