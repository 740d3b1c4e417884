import type { ImproveResult, JobStatus, ScenarioAgentResult } from '../client/index.js';
import { guarded, type PageContext } from './context.js';
import { fill, h, uid } from './dom.js';
import { followJob } from './job.js';
import { renderReview } from './review.js';

/** What the progress line says a job of each kind is doing. */
export const DOING = { improve: 'Improving', clarify: 'Drafting', apply: 'Applying', instructions: 'Writing instructions' } as const;

/** Past this many scenarios a select for each is more than a person reads: one choice covers them all. */
const ONE_BY_ONE_LIMIT = 25;

/**
 * Follows a job of the open conversation to its end, then shows what it came to: the same for a
 * request sent from this page and for one found still running when the conversation was opened.
 */
export async function followToResult(
  ctx: PageContext,
  jobHost: HTMLElement,
  reviewHost: HTMLElement,
  progressId: string,
  doing: string,
  signal?: AbortSignal,
  retry?: () => void,
): Promise<void> {
  const done = await followJob(ctx, jobHost, progressId, doing, signal);
  await ctx.refreshConversation();
  await ctx.refreshSessions();
  if (done.status === 'failed') return showFailure(reviewHost, done.error ?? done.result?.message ?? 'No reason was given.', retry);
  await showResult(ctx, reviewHost, done.status, done.result, signal, progressId);
}

/**
 * A failed job as an error with its reason, and a Retry that sends the same request on the same
 * selection: for a request sent from this page, and for one the server says failed for a passing
 * cause (its `retry_request`), however the conversation was opened.
 */
export function showFailure(host: HTMLElement, reason: string, retry?: () => void): void {
  const again = retry ? h('button', { type: 'button', class: 'primary', 'data-testid': 'retry' }, 'Retry') : null;
  again?.addEventListener('click', () => retry!());
  fill(
    host,
    h(
      'div',
      { class: 'failure', role: 'alert', 'data-testid': 'job-failed' },
      h('h3', {}, 'The request failed'),
      h('p', {}, reason),
      again ? h('div', { class: 'actions' }, again, h('span', { class: 'hint' }, 'Sends the same request for the same scenarios again.')) : null,
    ),
  );
  again?.focus();
}

/** Shows a finished improve or clarify job: its suggestions to review, or what it needs first. */
export async function showResult(
  ctx: PageContext,
  host: HTMLElement,
  status: JobStatus | string,
  result: ScenarioAgentResult | null,
  signal?: AbortSignal,
  progressId?: string,
  partlyApplied = false,
): Promise<void> {
  if (!result || result.kind === 'apply') return;
  const r = result;
  if (status === 'completed' && r.updated_scenarios) {
    await renderReview(ctx, host, { updated: r.updated_scenarios, issues: r.validation_issues ?? [], notDone: r.not_done, progressId, partlyApplied });
    focusHeading(host);
  } else if (status === 'needs_clarification' && r.kind === 'clarify') {
    fill(
      host,
      h(
        'div',
        { class: 'notice' },
        h('p', {}, String(r.user_message ?? 'Some questions first:')),
        h(
          'ul',
          {},
          (r.clarification_questions ?? []).map((q) => h('li', {}, q.question)),
        ),
        h('p', { class: 'hint' }, 'Answer in "Your request" and send again: the conversation continues.'),
      ),
    );
  } else if (status === 'needs_agent_clarification' && r.kind === 'improve') {
    await askForAgent(ctx, host, r, signal);
    focusHeading(host);
  }
}

function focusHeading(host: HTMLElement): void {
  const heading = host.querySelector<HTMLElement>('h3');
  heading?.setAttribute('tabindex', '-1');
  heading?.focus();
}

/**
 * The held scenarios had no agent: asks which agent each one tests (or one for all of them), then
 * continues the same session with the answer, the held scenarios and the held tool calls.
 */
async function askForAgent(ctx: PageContext, host: HTMLElement, r: ImproveResult, signal?: AbortSignal): Promise<void> {
  const needing = r.scenarios_needing_agent ?? [];
  const agents = r.available_agents ?? [];
  const sessionId = r.session_id ?? ctx.sessionId;
  const titleId = uid('agent-question');
  const heading = h('h3', { id: titleId }, 'Which agent do these scenarios test?');
  if (!agents.length) {
    fill(
      host,
      h(
        'div',
        { class: 'notice', 'data-testid': 'agent-question' },
        heading,
        h('p', {}, String(r.message ?? '')),
        h('p', {}, 'This project has no agent yet: create one, then send the request again.'),
      ),
    );
    return;
  }
  const options = () => [h('option', { value: '' }, '(choose an agent)'), ...agents.map((a) => h('option', { value: a.id }, a.agent_name))];
  const names =
    needing.length <= ONE_BY_ONE_LIMIT
      ? await Promise.all(
          needing.map((id) =>
            ctx.client.scenarios.get(id).then(
              (s) => s.name,
              () => `Scenario ${id}`,
            ),
          ),
        )
      : [];

  const allId = uid('agent-all');
  const all = h('select', { id: allId }, options());
  const each = names.map((name, i) => {
    const id = uid('agent-for');
    const select = h('select', { id, 'data-scenario': needing[i]! }, options());
    return { name, scenarioId: needing[i]!, select, wrap: h('div', {}, h('label', { for: id }, `Agent for ${name}`), select) };
  });
  // With one scenario, or too many to list, the one select is the whole answer.
  const oneByOne = each.length > 1;
  // One choice for all of them fills in every scenario; a scenario chosen differently leaves "all" unset.
  all.addEventListener('change', () => {
    if (all.value) for (const e of each) e.select.value = all.value;
  });
  for (const e of each)
    e.select.addEventListener('change', () => {
      all.value = each.every((o) => o.select.value === e.select.value) ? e.select.value : '';
    });

  const proceed = h('button', { type: 'submit', class: 'primary' }, 'Continue');
  const jobHost = h('div', {});
  const form = h(
    'form',
    { 'aria-labelledby': titleId, 'data-testid': 'agent-question' },
    heading,
    h('p', { class: 'notice' }, String(r.message ?? '')),
    h(
      'div',
      { class: 'row' },
      h('div', {}, h('label', { for: allId }, names.length === 1 ? `Agent for ${names[0]}` : `Agent for all ${needing.length} of them`), all),
    ),
    oneByOne
      ? h(
          'fieldset',
          {},
          h('legend', {}, 'Or scenario by scenario'),
          h(
            'div',
            { class: 'row' },
            each.map((e) => e.wrap),
          ),
        )
      : null,
    h('div', { class: 'actions' }, proceed),
    jobHost,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      const chosen = oneByOne ? each.map((o) => [o.scenarioId, o.select.value] as const) : needing.map((id) => [id, all.value] as const);
      const missing = oneByOne ? each.filter((o) => !o.select.value).map((o) => o.name) : all.value ? [] : [names[0] ?? 'these scenarios'];
      if (missing.length) throw new Error(`Choose an agent for ${missing.join(', ')}.`);
      proceed.disabled = true;
      try {
        const started = await ctx.client.scenarioAgent.start({
          session_id: sessionId,
          agent_selections: Object.fromEntries(chosen.map(([sid, aid]) => [String(sid), Number(aid)])),
          scenarios_needing_agent: needing,
          pending_tool_calls: r.pending_tool_calls ?? [],
        });
        for (const el of form.querySelectorAll('select')) el.disabled = true;
        await ctx.refreshConversation();
        await followToResult(ctx, jobHost, host, started.progress_id, DOING.improve, signal);
      } finally {
        proceed.disabled = false;
      }
    })();
  });
  fill(host, form);
}
