import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { progressOf } from '../src/domain/job-progress.js';
import { sessionStatusFor, titleFromMessage } from '../src/domain/jobs.js';
import { ScenarioAgentProgress } from '../src/domain/scenario-agent.js';
import { blankResult } from '../src/domain/suggestion.js';
import { batchedReply } from '../src/jobs/batched-reply.js';
import { chunk, runBatches } from '../src/jobs/batches.js';
import { batchKey, keptOutcome, settledFromKept } from '../src/jobs/kept-batches.js';
import type { JobProgressRow } from '../src/store/jobs.js';

describe('session titles', () => {
  it('come from the first line of the first user message', () => {
    expect(titleFromMessage('Add the DTMF tool\nto every scenario')).toBe('Add the DTMF tool');
  });
  it('are cut at a word boundary', () => {
    const t = titleFromMessage('word '.repeat(40), 30);
    expect(t.length).toBeLessThanOrEqual(30);
    expect(t.endsWith('…')).toBe(true);
    expect(t).not.toMatch(/wor…$/);
  });
});

describe('session status follows its latest job', () => {
  it.each([
    ['in_progress', 'in_progress'],
    ['completed', 'completed'],
    ['needs_clarification', 'pending'],
    ['needs_agent_clarification', 'pending'],
    ['cancelled', 'cancelled'],
    ['failed', 'failed'],
  ] as const)('%s → %s', (job, session) => expect(sessionStatusFor(job)).toBe(session));
});

describe('batches', () => {
  it('split selections into bounded batches', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2, 3], Number.POSITIVE_INFINITY)).toEqual([[1, 2, 3]]);
  });

  it('run within the concurrency limit and keep a failing batch from losing the rest', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await runBatches([1, 2, 3, 4, 5, 6], 2, new AbortController().signal, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (n === 3) throw new Error('batch 3 broke');
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => (r.ok ? r.value : 'failed'))).toEqual([10, 20, 'failed', 40, 50, 60]);
  });

  it('stop starting batches once aborted', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = runBatches([1, 2, 3], 1, controller.signal, async (n) => {
      started.push(n);
      controller.abort(new Error('cancelled'));
      return n;
    });
    await expect(run).rejects.toThrow('cancelled');
    expect(started).toEqual([1]);
  });
});

describe('the reply of a job run in several batches', () => {
  it('counts the whole selection, field by field, and keeps each batch note once', () => {
    const changed = [
      {
        changes: [
          { field: 'tool_ids' as const, value: [] },
          { field: 'max_duration' as const, value: 60 },
        ],
      },
      { changes: [{ field: 'tool_ids' as const, value: [] }] },
    ];
    expect(batchedReply(changed, 4, ['I could not do "x"', 'I could not do "x"', ' '])).toBe(
      'I suggest changes to 2 of 4 scenario(s): tool_ids on 2, max_duration on 1. Review them and apply the ones you want.\n\nI could not do "x"',
    );
  });

  it('keeps one of the batch messages that differ only in their counts', () => {
    expect(batchedReply([], 3, ['Tagged 2 of 2 scenarios.', 'Tagged 1 of 1 scenarios.', 'Tagged none.'])).toBe(
      'No changes to suggest for these 3 scenario(s).\n\nTagged 2 of 2 scenarios.\n\nTagged none.',
    );
  });

  it('says so when nothing changes', () => {
    expect(batchedReply([], 3, [])).toBe('No changes to suggest for these 3 scenario(s).');
  });
});

describe('progress answers', () => {
  const row = (over: Partial<JobProgressRow> = {}): JobProgressRow => ({
    progress_id: 'p-1',
    session_id: 3,
    kind: 'improve',
    mode: 'improve',
    status: 'in_progress',
    result: null,
    error: null,
    progress_done: 4,
    progress_total: 20,
    usage: '{}',
    review_state: null,
    review_count: null,
    failure_kind: null,
    project_id: 1,
    ...over,
  });

  // The progress route sends progressOf's object without re-checking it, so it must already be what the schema would send.
  it.each([
    ['a running job', row({ usage: '{"input_tokens":12}' })],
    [
      'a finished job, with usage keys the answer does not carry',
      row({ status: 'completed', result: JSON.stringify(blankResult('improve', 3)), usage: '{"input_tokens":5,"output_tokens":2,"model_calls":1,"cost":3}' }),
    ],
    [
      'a job failed for a passing cause, with its request to send again',
      row({
        status: 'failed',
        error: 'timed out',
        failure_kind: 'model_unavailable',
        result: JSON.stringify(blankResult('improve', 3)),
        usage: '{"input_tokens":5,"output_tokens":2,"model_calls":1}',
        request: JSON.stringify({ user_message: 'Tag', scenario_ids: [1, 2], agent_id: null, project_id: 7, agent_selections: {}, resumed: false }),
      }),
    ],
  ])("hold exactly the schema's keys for %s", (_, job) => {
    const answer = progressOf(job);
    expect(() => ScenarioAgentProgress.strict().parse(answer)).not.toThrow();
    // Nothing the schema would drop or add (key order aside: the result is stored as the job wrote it).
    expect(answer).toStrictEqual(ScenarioAgentProgress.parse(answer));
    expect(answer.usage).toEqual(
      job.status !== 'in_progress'
        ? { input_tokens: 5, output_tokens: 2, cached_input_tokens: 0, model_calls: 1, cost_usd: null }
        : { input_tokens: 12, output_tokens: 0, cached_input_tokens: 0, model_calls: 0, cost_usd: null },
    );
  });

  it("offer a failed job's request again only when it failed for a passing cause, as the body that starts it", () => {
    const improve = JSON.stringify({
      user_message: 'Tag them',
      scenario_ids: [4, 5],
      agent_id: 2,
      project_id: 7,
      agent_selections: {},
      resumed: false,
      budget: { max_tokens: 900, max_cost: null },
    });
    const clarify = JSON.stringify({ user_message: 'Draft', agent_id: 2, project_id: 7, num_scenarios: 3, knowledge_base: [9], tool_ids: ['TOOL_DTMF'] });
    const failed = (failure_kind: string | null, kind = 'improve', request = improve) => progressOf(row({ status: 'failed', kind, failure_kind, request }));
    for (const kind of ['model_unavailable', 'worker_stopped', 'budget']) {
      expect(failed(kind)).toMatchObject({
        failure_kind: kind,
        retry_request: { user_message: 'Tag them', scenarios: [4, 5], agent_id: 2, project_id: 7, max_tokens: 900 },
      });
    }
    expect(failed('budget').retry_request).not.toHaveProperty('max_cost');
    expect(failed('model_unavailable', 'clarify', clarify).retry_request).toEqual({
      user_message: 'Draft',
      agent_id: 2,
      project_id: 7,
      num_scenarios: 3,
      knowledge_base: [9],
      tool_ids: ['TOOL_DTMF'],
    });
    for (const kind of ['model_refused', 'invalid_data', 'error']) expect(failed(kind)).toMatchObject({ failure_kind: kind, retry_request: null });
    // A job failed before failures had kinds reads as a plain error; only failed jobs have one.
    expect(failed(null)).toMatchObject({ failure_kind: 'error', retry_request: null });
    expect(progressOf(row({ status: 'completed', failure_kind: null, request: improve }))).toMatchObject({ failure_kind: null, retry_request: null });
  });

  it('name the kind of a result stored before results carried it', () => {
    expect(progressOf(row({ kind: 'apply', status: 'completed', result: '{"success":true,"message":"Applied."}' })).result).toEqual({
      kind: 'apply',
      success: true,
      message: 'Applied.',
    });
  });

  it('leave out the result until the job is finished', () => {
    expect(progressOf(row({ result: '{"partial":true}' })).result).toBeNull();
  });
});

describe('kept batches', () => {
  const usage = { input_tokens: 1, output_tokens: 1, cached_input_tokens: 0, model_calls: 1 };
  const isFatal = (e: unknown) => (e as { fatal?: unknown }).fatal === true;
  const roundTrip = (settled: Parameters<typeof keptOutcome>[0]) =>
    settledFromKept({ key: 'k', units: 0, outcome: JSON.parse(JSON.stringify(keptOutcome(settled, isFatal))), usage });

  it('are named by their scenarios at the revisions they saw, so an edited scenario is sent again', () => {
    expect(
      batchKey([
        { id: 4, revision: 2 },
        { id: 7, revision: 1 },
      ]),
    ).toBe(`sha256:${createHash('sha256').update('4@2,7@1').digest('base64url')}`);
    expect(
      batchKey([
        { id: 4, revision: 3 },
        { id: 7, revision: 1 },
      ]),
    ).not.toBe(
      batchKey([
        { id: 4, revision: 2 },
        { id: 7, revision: 1 },
      ]),
    );
  });

  it('come back as the batch settled: its answer, or its failure with the message and whether it was fatal', () => {
    expect(roundTrip({ ok: true, value: { message: 'Done.', suggestions: [] } })).toEqual({ ok: true, value: { message: 'Done.', suggestions: [] } });
    const failed = roundTrip({ ok: false, error: new Error('rate limited') });
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.error).toBeInstanceOf(Error);
    expect((failed.error as Error).message).toBe('rate limited');
    expect(isFatal(failed.error)).toBe(false);
    const fatal = roundTrip({ ok: false, error: Object.assign(new Error('key rejected'), { fatal: true }) });
    expect(!fatal.ok && isFatal(fatal.error)).toBe(true);
  });
});
