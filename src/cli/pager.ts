import { spawn } from 'node:child_process';

/**
 * Writes text to stdout, through a pager when it is a terminal and the text is longer than the
 * screen (`$PAGER`, else `less -FRX`: quits at once on a short text, keeps colours, leaves the
 * text on screen). Piped or redirected, the text is written as it is. A pager that cannot start
 * falls back to writing directly.
 */
export async function page(text: string, out: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  const rows = out.rows ?? 0;
  const pager = env.SCENARIST_PAGER ?? env.PAGER ?? 'less -FRX';
  if (!out.isTTY || !rows || body.split('\n').length <= rows || !pager.trim() || pager === 'cat') {
    out.write(body);
    return;
  }
  await new Promise<void>((resolve) => {
    const child = spawn(pager, { shell: true, stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRX', ...env } });
    let done = false;
    const finish = (fallback: boolean) => {
      if (done) return;
      done = true;
      if (fallback) out.write(body);
      resolve();
    };
    child.on('error', () => finish(true));
    child.on('close', () => finish(false));
    // The reader quitting early (q in less) closes the pipe: that is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
  });
}
