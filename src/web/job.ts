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
  const final = await ctx.client.waitFor(progressId, {
    signal,
    onProgress: (p) => {
      const { done, total } = p.progress;
      if (total > 0) {
        bar.max = total;
        bar.value = done;
      }
      if (p.status === 'in_progress') status.textContent = total > 0 ? `${doing}: ${done} of ${total} done` : `${doing}: working…`;
    },
  });
  bar.remove();
  cancel.remove();
  status.textContent = `${doing}: ${FINAL_TEXT[final.status] ?? final.status}${final.error ? ` ${final.error}` : ''}`;
  return final;
}
