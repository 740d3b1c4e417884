import type { Progress } from '../client/index.js';
import { guarded, type PageContext } from './context.js';
import { fill, h, uid } from './dom.js';

const FINAL_TEXT: Record<string, string> = {
  completed: 'Done.',
  cancelled: 'Cancelled.',
  failed: 'Failed.',
  needs_clarification: 'The scenario agent has questions first.',
  needs_agent_clarification: 'The scenario agent needs to know which agent these scenarios test.',
};

/**
 * Follows a job until it ends, with a progress bar, a status line screen readers announce, and a
 * Cancel button. Leaving the page part (signal) stops following; the job itself goes on.
 */
export async function followJob(ctx: PageContext, host: HTMLElement, progressId: string, doing: string, signal?: AbortSignal): Promise<Progress> {
  const labelId = uid('progress');
  const status = h('p', { id: labelId, role: 'status', 'aria-live': 'polite', 'data-testid': 'job-status' }, `${doing}: starting…`);
  const bar = h('progress', { 'aria-labelledby': labelId });
  const cancel = h('button', { type: 'button', 'data-testid': 'cancel-job' }, 'Cancel');
  cancel.addEventListener(
    'click',
    guarded(async () => {
      cancel.disabled = true;
      status.textContent = `${doing}: cancelling…`;
      await ctx.client.scenarioAgent.cancel({ progress_id: progressId });
    }),
  );
  const panel = h('div', { class: 'progress' }, status, bar, h('div', { class: 'actions' }, cancel));
  fill(host, panel);
  const lost = h('p', { class: 'notice error-text', role: 'alert', 'data-testid': 'job-lost', hidden: true });
  panel.append(lost);
  // Bring the progress into view where the user is looking, right after Send.
  panel.scrollIntoView?.({ block: 'nearest' });
  const final = await ctx.client.waitFor(progressId, {
    signal,
    // While the page is open it keeps asking: a server back after a restart picks the job up again.
    maxFailures: Number.POSITIVE_INFINITY,
    maxDelayMs: 3_000,
    onLost: () => {
      lost.hidden = false;
      lost.textContent = 'Lost contact with the server. Retrying… (the job goes on if the server is still running it)';
    },
    onProgress: (p) => {
      lost.hidden = true;
      const { done, total } = p.progress;
      if (total > 0) {
        bar.max = total;
        bar.value = done;
      }
      const tokens = p.usage.input_tokens + p.usage.output_tokens;
      const spent = tokens ? ` · ${tokens.toLocaleString('en')} tokens` : '';
      if (p.status === 'in_progress') status.textContent = total > 0 ? `${doing}: ${done} of ${total} done${spent}` : `${doing}: working…${spent}`;
    },
  });
  bar.remove();
  cancel.remove();
  lost.remove();
  status.textContent = `${doing}: ${FINAL_TEXT[final.status] ?? final.status}${final.error ? ` ${final.error}` : ''}`;
  return final;
}
