import { z } from 'zod';
import type { Progress, UpdatedScenario } from '../client/index.js';
import { pollUntilFinal } from '../client/wait.js';
import { failureInWords, retryWhen } from '../domain/job-failure.js';
import { ScenarioAgentBody, ScenarioAgentProgress, ScenarioSelector } from '../domain/scenario-agent.js';
import { SUGGESTIBLE_FIELDS } from '../domain/suggestion.js';
import { selectSuggestions, summarizeSuggestions, summaryLine } from '../domain/suggestion-review.js';
import { PLAIN, renderDraft, renderIssues, renderSuggestion } from '../domain/suggestion-text.js';
import { defineTool, json, type McpTool, type ToolContext, ToolRefusal } from './tool.js';

const id = () => z.number().int().positive().max(2_147_483_647);
const plain = PLAIN;
const agentBody = ScenarioAgentBody.shape;

/** The longest a tool follows a job before answering "still running" (the job goes on). */
const FOLLOW_LIMIT_S = 600;

const followArgs = {
  wait: z
    .boolean()
    .default(true)
    .describe('Follow the job until it ends, with progress notifications (default true); false answers at once with its progress_id'),
  timeout_seconds: z.number().int().min(1).max(FOLLOW_LIMIT_S).default(300).describe('How long to follow before answering; the job keeps running after'),
};

const JobKind = z.enum(['scenario_agent', 'instructions']).default('scenario_agent').describe('scenario_agent (improve, draft, apply) or instructions');
type JobKind = z.output<typeof JobKind>;

const progressOf = (ctx: ToolContext, kind: JobKind, progressId: string, signal?: AbortSignal): Promise<Progress> =>
  kind === 'instructions'
    ? ctx.client.request<Progress>('GET', 'scenarios/instructions-progress/', { query: { progress_id: progressId }, signal })
    : ctx.client.scenarioAgent.progress(progressId, signal);

/** Follows a job, sending a progress notification each time it is polled, until it ends or time runs out. */
async function follow(ctx: ToolContext, kind: JobKind, progressId: string, timeoutSeconds: number): Promise<Progress> {
  const deadline = AbortSignal.timeout(timeoutSeconds * 1000);
  let last: Progress | null = null;
  try {
    return await pollUntilFinal((s) => progressOf(ctx, kind, progressId, s), {
      signal: AbortSignal.any([ctx.signal, deadline]),
      onProgress: (p) => {
        last = p;
        void ctx.progress(p.progress.done, p.progress.total, `${p.status}: ${p.progress.done} of ${p.progress.total} done`);
      },
    });
  } catch (e) {
    if (deadline.aborted && !ctx.signal.aborted && last) return last;
    throw e;
  }
}

const suggestionsOf = (p: Progress): UpdatedScenario[] => p.result?.updated_scenarios ?? [];

/** A job's state and, once it ended, what it suggests: the summary by field first, then each scenario. */
function describeJob(p: Progress): string {
  const r = p.result;
  const lines = [`Job ${p.progress_id} (${p.mode}): ${p.status}, ${p.progress.done} of ${p.progress.total} done.`];
  if (p.error) lines.push(`Error: ${p.error}`);
  const why = p.status === 'failed' ? failureInWords(p.failure_kind) : null;
  if (why) lines.push(`Why: ${why}.`);
  if (p.retry_request)
    lines.push(`The same tool call may work ${retryWhen(p.failure_kind)}, with the same arguments (retry_request is that request as the API takes it).`);
  if (r?.message) lines.push('', r.message);
  const questions = r?.kind === 'clarify' ? r.clarification_questions : [];
  if (questions.length)
    lines.push(
      '',
      'Questions to answer (send the answers as the next user_message with the same session_id):',
      ...questions.map((q, i) => `${i + 1}. ${q.question}`),
    );
  // Results stored before they named what was not done have no not_done.
  const notDone = r?.not_done ?? [];
  if (notDone.length) lines.push('', 'Not done:', ...notDone.map((n) => `- ${n.part}: ${n.reason}`));
  const items = suggestionsOf(p);
  const existing = items.filter((s) => s.id !== undefined && s.id !== null);
  const drafts = items.filter((s) => s.id === undefined || s.id === null);
  if (existing.length) {
    lines.push('', `${existing.length} scenario(s) would change. Summary by field:`, ...summarizeSuggestions(existing).map((row) => `  ${summaryLine(row)}`));
    lines.push('', ...existing.map((s) => renderSuggestion(s, { style: plain })));
  }
  if (drafts.length) lines.push('', `${drafts.length} new scenario(s) drafted:`, ...drafts.map((d, i) => renderDraft(d, i + 1, { style: plain })));
  lines.push(...renderIssues(r?.validation_issues, plain));
  if (p.status === 'completed' && items.length && p.mode !== 'apply')
    lines.push('', `Nothing is written yet: apply with apply_suggestions (progress_id "${p.progress_id}", confirm: true).`);
  if (p.status === 'in_progress') lines.push('', `Still running: follow it with follow_job (progress_id "${p.progress_id}").`);
  return lines.join('\n');
}

const JobView = ScenarioAgentProgress;
/** What every job's progress answer has, whatever its kind (scenario agent or instructions). */
const AnyJobView = ScenarioAgentProgress.pick({ progress_id: true, mode: true, status: true, error: true, progress: true, usage: true }).loose();
/** A scenario as a list shows it: enough to choose from, with the id the other tools take. */
const ScenarioRow = z.object({
  id: z.number().int(),
  name: z.string(),
  agent: z.number().int().nullable(),
  tags: z.array(z.string()),
  folder_path: z.string().nullable(),
});
const jobAnswer = (p: Progress) => ({ text: describeJob(p), value: p });

async function startAndFollow(ctx: ToolContext, body: Record<string, unknown>, follow_: { wait: boolean; timeout_seconds: number }) {
  const started = await ctx.client.scenarioAgent.start(body, ctx.signal);
  const p = follow_.wait
    ? await follow(ctx, 'scenario_agent', started.progress_id, follow_.timeout_seconds)
    : await ctx.client.scenarioAgent.progress(started.progress_id, ctx.signal);
  return jobAnswer(p);
}

const Fields = z.array(z.enum(SUGGESTIBLE_FIELDS)).min(1).max(SUGGESTIBLE_FIELDS.length);

/** The tools for the whole loop: find, ask, follow, review, apply, undo. */
export function scenaristTools(): McpTool[] {
  return [
    defineTool({
      name: 'find_scenarios',
      title: 'Find scenarios',
      description: 'Lists scenarios (id, name, agent, tags, folder) matching filters; use the ids with improve_scenarios.',
      input: z.strictObject({
        project_id: id().optional(),
        agent_id: id().optional(),
        tags: z.array(z.string().min(1).max(100)).max(50).optional().describe('Scenarios with any of these tags'),
        folder_path: z.string().max(255).optional().describe('Only this folder ("" for scenarios without one)'),
        search: z.string().max(255).optional().describe('Words in the name or instructions'),
        page: z.number().int().min(1).max(100_000).default(1),
        page_size: z.number().int().min(1).max(500).default(50),
      }),
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        const page = await ctx.client.scenarios.list({ ...input, tags: input.tags?.join(',') });
        const rows = page.results.map((s) => ({ id: s.id, name: s.name, agent: s.agent, tags: s.tags, folder_path: s.folder_path }));
        const text = [
          `${page.count} scenario(s)${page.next ? `, page ${input.page}` : ''}:`,
          ...rows.map((s) => `#${s.id} ${s.name}${s.tags.length ? ` [${s.tags.join(', ')}]` : ''}${s.folder_path ? ` (${s.folder_path})` : ''}`),
        ].join('\n');
        return { text, value: { count: page.count, next_page: page.next ? input.page + 1 : null, scenarios: rows } };
      },
      output: z.object({ count: z.number().int(), next_page: z.number().int().nullable(), scenarios: z.array(ScenarioRow) }),
    }),
    defineTool({
      name: 'show_scenario',
      title: 'Show a scenario',
      description: 'Every field of one scenario, with its current revision.',
      input: z.strictObject({ scenario_id: id() }),
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        const s = await ctx.client.scenarios.get(input.scenario_id);
        return { text: json(s), value: s };
      },
    }),
    defineTool({
      name: 'list_projects',
      title: 'List projects',
      description: "The organization's projects.",
      input: z.strictObject({}),
      annotations: { readOnlyHint: true },
      async run(_input, ctx) {
        const projects = await ctx.client.projects.list(ctx.signal);
        return { text: projects.map((p) => `#${p.id} ${p.name}`).join('\n') || 'No projects.', value: { projects } };
      },
    }),
    defineTool({
      name: 'list_agents',
      title: 'List agents',
      description: 'The agents under test (id, name, description), optionally of one project.',
      input: z.strictObject({ project_id: id().optional() }),
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        const agents = await ctx.client.aiagents.all(input);
        return { text: agents.map((a) => `#${a.id} ${a.agent_name}: ${a.description ?? ''}`).join('\n') || 'No agents.', value: { agents } };
      },
    }),
    defineTool({
      name: 'list_sessions',
      title: 'List conversations',
      description: "A project's scenario-agent conversations, newest first, with their latest job.",
      input: z.strictObject({ project_id: id() }),
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        const sessions = await ctx.client.sessions.list(input.project_id);
        return { text: json(sessions), value: { sessions } };
      },
    }),
    defineTool({
      name: 'show_session',
      title: 'Show a conversation',
      description: 'One conversation with its messages.',
      input: z.strictObject({ session_id: id() }),
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        const s = await ctx.client.sessions.get(input.session_id);
        return { text: json(s), value: s };
      },
    }),
    defineTool({
      name: 'improve_scenarios',
      title: 'Improve scenarios',
      description:
        'Asks the scenario agent to change scenarios from a plain-language request. Nothing is written: the answer is the suggested changes, summarised by field, to review and then apply with apply_suggestions.',
      input: z.strictObject({
        user_message: agentBody.user_message.unwrap().min(1),
        scenarios: ScenarioSelector,
        agent_id: agentBody.agent_id,
        project_id: agentBody.project_id,
        session_id: agentBody.session_id,
        ...followArgs,
      }),
      output: JobView,
      async run({ wait, timeout_seconds, ...body }, ctx) {
        return startAndFollow(ctx, body, { wait, timeout_seconds });
      },
    }),
    defineTool({
      name: 'draft_scenarios',
      title: 'Draft new scenarios',
      description:
        'Drafts new scenarios for an agent from its description and knowledge base, or asks clarifying questions first (answer them with the same session_id). Drafts are suggestions: apply_suggestions creates them.',
      input: z.strictObject({
        user_message: agentBody.user_message.unwrap().min(1),
        agent_id: id(),
        num_scenarios: agentBody.num_scenarios,
        knowledge_base: agentBody.knowledge_base,
        session_id: agentBody.session_id,
        ...followArgs,
      }),
      output: JobView,
      async run({ wait, timeout_seconds, ...body }, ctx) {
        return startAndFollow(ctx, body, { wait, timeout_seconds });
      },
    }),
    defineTool({
      name: 'write_instructions',
      title: "Write a scenario's instructions",
      description: "Writes (generate) or improves a scenario's instructions. The answer is a preview; apply_instructions writes it.",
      input: z.strictObject({
        scenario_id: id(),
        mode: z.enum(['generate', 'improve']).default('improve'),
        user_message: z.string().max(20_000).default('').describe('What to change (improve) or extra guidance (generate)'),
        ...followArgs,
      }),
      async run({ scenario_id, mode, user_message, wait, timeout_seconds }, ctx) {
        const path = mode === 'improve' ? `scenarios/${scenario_id}/improve_instructions/` : 'scenarios/generate-instructions/';
        const body = mode === 'improve' ? { user_message } : { scenario_id, extra_instructions: user_message };
        const started = await ctx.client.request<{ progress_id: string }>('POST', path, { body, signal: ctx.signal });
        const p = wait
          ? await follow(ctx, 'instructions', started.progress_id, timeout_seconds)
          : await progressOf(ctx, 'instructions', started.progress_id, ctx.signal);
        return { text: json(p), value: p };
      },
    }),
    defineTool({
      name: 'follow_job',
      title: 'Follow a job',
      description: 'Follows a running job with progress notifications until it ends (or the timeout), then shows its outcome and suggestions.',
      input: z.strictObject({ progress_id: z.string().min(1).max(100), kind: JobKind, timeout_seconds: followArgs.timeout_seconds }),
      output: AnyJobView,
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        const p = await follow(ctx, input.kind, input.progress_id, input.timeout_seconds);
        return input.kind === 'instructions' ? { text: json(p), value: p } : jobAnswer(p);
      },
    }),
    defineTool({
      name: 'show_suggestions',
      title: "Show a job's suggestions",
      description: "A finished job's suggestions as a readable diff: the summary by field (and by tool or tag added or removed) first, then each scenario.",
      input: z.strictObject({ progress_id: z.string().min(1).max(100) }),
      output: JobView,
      annotations: { readOnlyHint: true },
      async run(input, ctx) {
        return jobAnswer(await ctx.client.scenarioAgent.progress(input.progress_id, ctx.signal));
      },
    }),
    defineTool({
      name: 'apply_suggestions',
      title: 'Apply suggestions',
      description:
        "Writes a job's suggestions (all, or only some scenarios and fields) in one transaction, each as a new revision. A scenario edited since the suggestion is a conflict and nothing is written. Requires confirm: true.",
      input: z.strictObject({
        progress_id: z.string().min(1).max(100).describe('The improve or draft job whose suggestions to apply'),
        scenario_ids: z.array(id()).min(1).max(100_000).optional().describe('Only these scenarios (drafts are left out when given)'),
        fields: Fields.optional().describe('Only these fields of each suggestion'),
        confirm: z.boolean().describe('Must be true: applying writes to the scenarios'),
      }),
      annotations: { destructiveHint: false, idempotentHint: false },
      async run(input, ctx) {
        const job = await ctx.client.scenarioAgent.progress(input.progress_id, ctx.signal);
        if (job.status !== 'completed') throw new ToolRefusal(`Job ${input.progress_id} is ${job.status}; only a completed job's suggestions can be applied.`);
        const chosen = selectSuggestions(suggestionsOf(job), { scenarioIds: input.scenario_ids, fields: input.fields });
        if (!chosen.length) throw new ToolRefusal('Nothing to apply: no suggestion matches the scenarios and fields given.');
        if (!input.confirm) {
          const preview = summarizeSuggestions(chosen).map((r) => `  ${summaryLine(r)}`);
          throw new ToolRefusal([`This would apply ${chosen.length} suggestion(s):`, ...preview, 'Call again with confirm: true to write them.'].join('\n'));
        }
        const started = await ctx.client.scenarioAgent.apply(chosen as UpdatedScenario[], { session_id: job.session_id });
        return jobAnswer(await follow(ctx, 'scenario_agent', started.progress_id, FOLLOW_LIMIT_S));
      },
      output: JobView,
    }),
    defineTool({
      name: 'apply_instructions',
      title: 'Apply instructions',
      description: "Writes an instructions job's result to its scenario as one revision. Requires confirm: true.",
      input: z.strictObject({ scenario_id: id(), progress_id: z.string().min(1).max(100), confirm: z.boolean() }),
      async run(input, ctx) {
        if (!input.confirm) throw new ToolRefusal('Call again with confirm: true to write the instructions to the scenario.');
        const s = await ctx.client.request('POST', `scenarios/${input.scenario_id}/apply_instructions/`, {
          body: { progress_id: input.progress_id },
          signal: ctx.signal,
        });
        return { text: json(s), value: s };
      },
    }),
    defineTool({
      name: 'cancel_job',
      title: 'Cancel a job',
      description: 'Cancels a running job; nothing it suggested is applied.',
      input: z.strictObject({ progress_id: z.string().min(1).max(100) }),
      async run(input, ctx) {
        const r = await ctx.client.scenarioAgent.cancel({ progress_id: input.progress_id });
        return { text: `Job ${input.progress_id}: ${r.status ?? 'cancelled'}.`, value: r };
      },
    }),
    defineTool({
      name: 'revert_scenario',
      title: 'Revert a scenario',
      description: "Restores what one of a scenario's revisions recorded (see its history); the restore is itself a new revision. Requires confirm: true.",
      input: z.strictObject({ scenario_id: id(), revision: id(), confirm: z.boolean() }),
      async run(input, ctx) {
        if (!input.confirm) throw new ToolRefusal(`Call again with confirm: true to restore scenario ${input.scenario_id} to revision ${input.revision}.`);
        const s = await ctx.client.scenarios.revert(input.scenario_id, input.revision);
        return { text: `Scenario #${s.id} restored to revision ${input.revision}.`, value: s };
      },
    }),
  ];
}
