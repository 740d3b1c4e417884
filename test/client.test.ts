import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApplyResult, type ClarifyResult, type ImproveResult, type Progress, ScenaristClient } from '../src/client/index.js';
import { type IdleServer, startIdleServer } from './helpers/idle-server.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
let client: ScenaristClient;
let project: number;
let agent: number;
let personality: number;

beforeAll(async () => {
  s = await startTestServer();
  client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
  project = s.defaultProjectId;
  agent = (await client.aiagents.create({ project, agent_name: 'Billing line', description: 'Answers billing questions for Acme Telecom.' })).id;
  personality = (await client.personalities.list()).find((p) => p.name === 'Normal Male')!.id;
});
afterAll(async () => s?.stop());

describe('resources', () => {
  it('lists, creates, reads, updates and deletes through typed methods', async () => {
    expect((await client.projects.list()).map((p) => p.id)).toContain(project);
    const created = await client.scenarios.create({ name: 'Refund for a double charge', agent, personality, instructions: 'Ask for a refund.' });
    expect(created).toMatchObject({ name: 'Refund for a double charge', agent, project, revision: 1 });
    const patched = await client.scenarios.update(created.id, { tags: ['billing'] });
    expect(patched).toMatchObject({ tags: ['billing'], revision: 2 });
    expect((await client.scenarios.get(created.id)).tags).toEqual(['billing']);
    const page = await client.scenarios.list({ project_id: project, search: 'double' });
    expect(page.results.map((x) => x.id)).toEqual([created.id]);
    await client.scenarios.delete(created.id);
    await expect(client.scenarios.get(created.id)).rejects.toMatchObject({ status: 404 });
  });

  it('pages through long lists', async () => {
    const made = await client.scenarios.bulkCreate(Array.from({ length: 7 }, (_, i) => ({ name: `Paged ${i}`, agent, personality, tags: ['paged'] })));
    const seen: number[] = [];
    for await (const sc of client.paginate<{ id: number }>('scenarios/', { project_id: project, tags: 'paged', page_size: 3 })) seen.push(sc.id);
    expect(seen).toEqual(made.map((m) => m.id));
    expect((await client.scenarios.all({ tags: 'paged' })).map((x) => x.id)).toEqual(made.map((m) => m.id));
    await client.scenarios.bulkDelete({ scenarios: made.map((m) => m.id), project_id: project });
    expect((await client.scenarios.list({ tags: 'paged' })).count).toBe(0);
  });

  it('folders, bulk update, revisions and revert', async () => {
    await client.scenarios.createFolder({ name: 'Billing', project_id: project });
    expect((await client.scenarios.folders({ project_id: project })).results.map((f) => f.path)).toContain('Billing');
    const sc = await client.scenarios.create({ name: 'Upgrade plan', agent, personality });
    await client.scenarios.bulkUpdate({ scenarios: [sc.id], agent, folder_path: 'Billing', tool_ids_to_add: ['TOOL_DTMF'] });
    const revs = await client.scenarios.revisions(sc.id);
    expect(revs.results.map((r) => r.revision)).toEqual([2, 1]);
    expect(revs.results[0]!.changed_fields).toMatchObject({ folder_path: { old: null, new: 'Billing' } });
    expect(await client.scenarios.revert(sc.id, 1)).toMatchObject({ folder_path: null, tool_ids: [], revision: 3 });
  });

  it('sends anything else through request()', async () => {
    const tools = await client.request<{ results: Array<{ tool_id: string }> }>('GET', 'tools/', { query: { search: 'dtmf' } });
    expect(tools.results.map((t) => t.tool_id)).toContain('TOOL_DTMF');
  });
});

describe('errors', () => {
  it('a 400 carries the field errors in the seed shape', async () => {
    const err = await client.scenarios.create({ name: '', personality }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(400);
    expect(e.fieldErrors).toEqual({ name: [expect.any(String)] });
    expect(e.message).toMatch(/^400: name: /);
  });

  it("a wrong key is a 401 and another organization's object a 404", async () => {
    const stranger = new ScenaristClient({ baseUrl: s.url, apiKey: 'sk_scn_nope' });
    await expect(stranger.projects.list()).rejects.toMatchObject({ status: 401, fieldErrors: null, detail: expect.any(String) });
    const other = await s.otherOrganization();
    const theirs = new ScenaristClient({ baseUrl: `${s.url}/test_framework/v1/`, apiKey: other.key });
    await expect(theirs.aiagents.get(agent)).rejects.toMatchObject({ status: 404 });
  });

  it('an unreachable server is status 0, not a crash', async () => {
    const nowhere = new ScenaristClient({ baseUrl: 'http://127.0.0.1:9', apiKey: s.key });
    await expect(nowhere.projects.list()).rejects.toMatchObject({ name: 'ApiError', status: 0 });
  });
});

describe('scenario agent', () => {
  it('improves, waits with progress, applies, and the session remembers', async () => {
    const a = await client.scenarios.create({ name: 'Refund', agent, personality, instructions: 'Ask for a refund.' });
    const b = await client.scenarios.create({ name: 'Roaming', agent, personality, instructions: 'Ask about roaming fees.' });
    const started = await client.scenarioAgent.improve({ scenarios: [a.id, b.id], user_message: 'Add the DTMF tool and limit calls to 5 minutes' });
    const seen: Progress[] = [];
    const done = await client.waitFor<ImproveResult>(started.progress_id, { onProgress: (p) => seen.push(p) });
    expect(done.status).toBe('completed');
    expect(seen.at(-1)).toEqual(done);
    const suggestions = done.result!.updated_scenarios;
    expect(suggestions.map((u) => [u.id, u.tool_ids, u.max_duration])).toEqual([
      [a.id, ['TOOL_DTMF'], 300],
      [b.id, ['TOOL_DTMF'], 300],
    ]);
    expect((await client.scenarios.get(a.id)).tool_ids).toEqual([]);

    const apply = await client.scenarioAgent.apply(suggestions, { session_id: started.session_id });
    const applied = await client.waitFor<ApplyResult>(apply.progress_id);
    expect(applied.result).toMatchObject({ success: true, applied_scenario_ids: [a.id, b.id], conflicts: [] });
    expect(await client.scenarios.get(b.id)).toMatchObject({ tool_ids: ['TOOL_DTMF'], max_duration: 300 });

    const sessions = await client.sessions.list(project);
    expect(sessions.find((x) => x.id === started.session_id)).toMatchObject({ title: 'Add the DTMF tool and limit calls to 5 minutes', status: 'completed' });
    const detail = await client.sessions.get(started.session_id);
    expect(detail.conversation_history[0]).toMatchObject({ role: 'user', content: 'Add the DTMF tool and limit calls to 5 minutes' });
  });

  it('an apply based on an old revision comes back as a conflict', async () => {
    const sc = await client.scenarios.create({ name: 'Conflicting', agent, personality });
    const job = await client.waitFor<ImproveResult>(
      (await client.scenarioAgent.improve({ scenarios: [sc.id], user_message: 'Add the DTMF tool' })).progress_id,
    );
    await client.scenarios.update(sc.id, { name: 'Edited meanwhile' });
    const applied = await client.waitFor<ApplyResult>((await client.scenarioAgent.apply(job.result!.updated_scenarios)).progress_id);
    expect(applied.result).toMatchObject({ success: false, conflicts: [{ scenario_id: sc.id, reason: 'changed', based_on_revision: 1, current_revision: 2 }] });
  });

  it('drafts new scenarios from an agent and knowledge-base files', async () => {
    const faq =
      '# Roaming\nRoaming in the EU is free.\n\n# Refunds\nRefunds take 5 days.\n\n# Data caps\nThe basic plan includes 5 GB a month.\n\n# Contract length\nContracts run for 12 months.';
    const [file] = await client.knowledgeBaseFiles.upload({ agent }, [{ name: 'faq.md', content: faq }]);
    expect(file).toMatchObject({ agent, file_name: 'faq.md' });
    expect((await client.knowledgeBaseFiles.get(file!.id)).text).toContain('Roaming in the EU is free.');
    const job = await client.scenarioAgent.clarify({ agent_id: agent, num_scenarios: 2, knowledge_base: [file!.id], user_message: 'Cover the FAQ' });
    const done = await client.waitFor<ClarifyResult>(job.progress_id);
    expect(done).toMatchObject({ mode: 'clarify', status: 'completed' });
    const drafts = done.result!.updated_scenarios;
    // The agent already has "Refund" and "Roaming" scenarios: those topics are left out, and the reply says so.
    expect(drafts.map((d) => [d.name, d.agent, d.source_files])).toEqual([
      ['Data caps: a first-time caller', agent, [file!.id]],
      ['Contract length: a first-time caller', agent, [file!.id]],
    ]);
    expect(done.result!.message).toContain('Left out because the agent already has them: "Roaming", "Refund"');
    const applied = await client.waitFor<ApplyResult>(
      (await client.scenarioAgent.apply(drafts, { project_id: project, session_id: job.session_id })).progress_id,
    );
    expect(applied.result!.created_scenario_ids).toHaveLength(2);
    const created = await client.scenarios.get(applied.result!.created_scenario_ids[0]!);
    expect(created).toMatchObject({ name: 'Data caps: a first-time caller', agent, project, tags: ['generated'] });
    // The knowledge base grounds what the grader checks; the caller is not told the answer.
    expect(created.expected_outcome_prompt).toContain('The basic plan includes 5 GB a month');
    expect(created.instructions).not.toContain('5 GB');
  });
});

describe('jobs in progress', () => {
  let idle: IdleServer;
  let c: ScenaristClient;
  let progressId: string;
  beforeAll(async () => {
    idle = await startIdleServer();
    c = idle.client;
    progressId = (await idle.startJob()).progress_id;
  });
  afterAll(async () => idle?.stop());

  it('cancels a running job', async () => {
    const job = await idle.startJob();
    expect((await c.scenarioAgent.progress(job.progress_id)).status).toBe('in_progress');
    expect(await c.scenarioAgent.cancel({ progress_id: job.progress_id })).toMatchObject({ success: true, status: 'cancelled' });
    expect((await c.waitFor(job.progress_id)).status).toBe('cancelled');
  });

  it('follows a job by its stream of events, with one request, and stops when the signal aborts', async () => {
    const requests: string[] = [];
    const counting = new ScenaristClient({
      baseUrl: idle.server.url,
      apiKey: idle.server.key,
      fetch: async (input, init) => {
        requests.push(String((init?.headers as Record<string, string> | undefined)?.accept));
        return fetch(input, init);
      },
    });
    const job = await c.scenarioAgent.improve({ scenarios: 'all', project_id: idle.server.defaultProjectId, user_message: 'Add the DTMF tool' });
    const seen: string[] = [];
    const waiting = counting.waitFor(job.progress_id, { onProgress: (p) => seen.push(p.status) });
    await new Promise((r) => setTimeout(r, 300));
    await c.scenarioAgent.cancel({ progress_id: job.progress_id });
    expect((await waiting).status).toBe('cancelled');
    expect(seen).toEqual(['in_progress', 'cancelled']);
    expect(requests).toEqual(['text/event-stream']);

    const controller = new AbortController();
    const still = counting.waitFor(progressId, { signal: controller.signal, onProgress: () => controller.abort(new Error('stopped by the user')) });
    await expect(still).rejects.toThrow('stopped by the user');
  });

  it('without a stream (a proxy that strips it), polls, backing off while nothing moves, and stops when the signal aborts', async () => {
    const polling = new ScenaristClient({
      baseUrl: idle.server.url,
      apiKey: idle.server.key,
      fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), accept: 'application/json' } }),
    });
    const controller = new AbortController();
    const times: number[] = [];
    const waiting = polling.waitFor(progressId, {
      signal: controller.signal,
      initialDelayMs: 20,
      maxDelayMs: 80,
      onProgress: (p) => {
        expect(p.status).toBe('in_progress');
        times.push(Date.now());
        if (times.length === 6) controller.abort(new Error('stopped by the user'));
      },
    });
    await expect(waiting).rejects.toThrow('stopped by the user');
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 20, 30, 45, 68, 80: each gap at least the delay asked for, and the delays grew.
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[4]).toBeGreaterThanOrEqual(79);
    expect(times).toHaveLength(6);
  });

  it('keeps waiting through a few polls that get no answer, and gives up after too many', async () => {
    let failing = 2;
    let polls = 0;
    const flaky = new ScenaristClient({
      baseUrl: idle.server.url,
      apiKey: idle.server.key,
      fetch: async (input, init) => {
        polls++;
        if (failing-- > 0) throw new TypeError('fetch failed', { cause: new Error('connect ECONNRESET') });
        return fetch(input, init);
      },
    });
    const job = await c.scenarioAgent.improve({ scenarios: 'all', project_id: idle.server.defaultProjectId, user_message: 'Add the DTMF tool' });
    await c.scenarioAgent.cancel({ progress_id: job.progress_id });
    expect((await flaky.waitFor(job.progress_id, { initialDelayMs: 5 })).status).toBe('cancelled');
    expect(polls).toBe(3);

    failing = 100;
    await expect(flaky.waitFor(job.progress_id, { initialDelayMs: 5, maxDelayMs: 5, maxFailures: 3 })).rejects.toMatchObject({
      status: 0,
      message: expect.stringContaining('ECONNRESET'),
    });
  });

  it('an already aborted signal polls nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    let calls = 0;
    await expect(c.waitFor(progressId, { signal: controller.signal, onProgress: () => calls++ })).rejects.toThrow('already');
    expect(calls).toBe(0);
  });

  it('an unknown progress id is a 404', async () => {
    await expect(c.waitFor('nope')).rejects.toMatchObject({ status: 404 });
  });
});
