import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImproveInput, ImproveOutput, ScenarioEngine } from '../src/agent/engine.js';
import { OfflineEngine } from '../src/agent/engines/offline-engine.js';
import type { SuggestibleField } from '../src/domain/suggestion.js';
import { selectSuggestions } from '../src/domain/suggestion-review.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const untilAborted = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

/**
 * Two scenarios a batch. "repeat" suggests what each scenario already has, as a model might write it
 * (a tag twice, the name with spaces round it), plus "stressed" twice for scenarios named "Calm";
 * "explode" fails; "slow" waits until cancelled; anything else adds the tag "reviewed".
 */
const engine: ScenarioEngine = {
  name: 'review-test',
  batchSize: 2,
  concurrency: 1,
  async improve(input: ImproveInput): Promise<ImproveOutput> {
    if (input.userMessage.includes('slow')) await untilAborted(input.signal);
    if (input.userMessage.includes('explode')) throw new Error('the model is down');
    const suggestions = input.scenarios.map((s) => {
      const fields: Record<string, unknown> = input.userMessage.includes('repeat')
        ? { tags: [...s.tags, ...s.tags, ...(s.name.startsWith('Calm') ? ['stressed', 'stressed'] : [])], name: ` ${s.name} ` }
        : { tags: [...s.tags, 'reviewed'], max_duration: 120 };
      return {
        scenario_id: s.id,
        based_on_revision: s.revision,
        changes: Object.entries(fields).map(([field, value]) => ({ field: field as SuggestibleField, value })),
        notes: [],
      };
    });
    return {
      message: `I changed ${input.scenarios.length} of ${input.scenarios.length} scenario(s).`,
      suggestions,
      notDone: [],
      usage: { input_tokens: 1, output_tokens: 1, model_calls: 1 },
    };
  },
  clarify: (input) => new OfflineEngine().clarify(input),
  instructions: (input) => new OfflineEngine().instructions(input),
};

let s: TestServer;
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let personality: number;
const ids: number[] = [];

beforeAll(async () => {
  // With SCENARIST_TEST_PG=1 the same file runs on PostgreSQL, in a database of its own.
  database = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer(database ? { DATABASE_URL: database.url } : {}, { engine });
  personality = await personalityIdFromStore(s.running.store.db);
  const agent = await insertAgent(s.running.store.db, s.defaultProjectId);
  for (const name of ['Calm caller', 'Angry caller', 'Quiet caller', 'Loud caller', 'Late caller']) {
    ids.push((await createScenario(s.api, { name, personality, tags: ['base'], agent, instructions: 'Call.' })).id);
  }
});
afterAll(async () => {
  await s?.stop();
  await database?.drop();
});

const improve = async (message: string, scenarios: number[] = ids) => {
  const started = await startJob(s.api, { scenarios, user_message: message, project_id: s.defaultProjectId });
  return { ...started, done: await waitForJob(s.api, started.progress_id) };
};
const apply = async (items: unknown[], extra: Record<string, unknown> = {}) => {
  const started = await startJob(s.api, { apply_changes: true, updated_scenarios: items, ...extra });
  return waitForJob(s.api, started.progress_id);
};
const session = async (id: number) => (await s.api('GET', `scenario-improvement-sessions/${id}/`)).body;
const listed = async (id: number) =>
  (await s.api('GET', `scenario-improvement-sessions/?project_id=${s.defaultProjectId}`)).body.find((x: { id: number }) => x.id === id);
const revisions = async (id: number) => (await s.api('GET', `scenarios/${id}/revisions/`)).body.results;

describe('results as a write would store them', () => {
  it('a suggested value equal to the current one once normalised (a tag twice, spaces round a name) is not a change', async () => {
    const { done } = await improve('repeat what they have');
    expect(done.status).toBe('completed');
    // Only "Calm caller" changes: its tags gain "stressed", once.
    expect(done.result.updated_scenarios).toEqual([
      expect.objectContaining({ id: ids[0], tags: ['base', 'stressed'], changes: { tags: { old: ['base'], new: ['base', 'stressed'] } } }),
    ]);
  });

  it('a job of several batches answers one summary, not a message per batch', async () => {
    const { done } = await improve('tag them');
    const message: string = done.result.message;
    expect(message).toMatch(/^I suggest changes to 5 of 5 scenario\(s\)/);
    expect(message).not.toContain('I changed');
  });
});

describe('review state beside status', () => {
  it('is running while the job runs, failed when it fails, for the job and its session', async () => {
    const slow = await startJob(s.api, { scenarios: [ids[4]], user_message: 'slow please', project_id: s.defaultProjectId });
    const running = await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${slow.progress_id}`);
    expect(running.body).toMatchObject({ status: 'in_progress', review_state: 'running' });
    expect(await listed(slow.session_id)).toMatchObject({ review_state: 'running' });
    await s.api('POST', 'scenarios/cancel-agent/', { progress_id: slow.progress_id });

    const { done, session_id } = await improve('explode');
    expect(done).toMatchObject({ status: 'failed', review_state: 'failed' });
    expect(await session(session_id)).toMatchObject({ status: 'failed', review_state: 'failed' });
  });

  it("says how many wait, then applied with the reviewer's edit recorded; a second apply says so and writes nothing", async () => {
    const { done, session_id, progress_id } = await improve('tag them', ids.slice(0, 3));
    expect(done).toMatchObject({ review_state: 'to_review', review_count: 3 });
    expect(await listed(session_id)).toMatchObject({ status: 'completed', review_state: 'to_review', review_count: 3, review_progress_id: progress_id });

    // The reviewer corrects one suggested value: the tags become ["base", "checked"].
    const items = done.result.updated_scenarios.map((u: any) => (u.id === ids[1] ? { ...u, tags: ['base', 'checked'] } : u));
    const applied = await apply(items, { session_id });
    expect(applied.result).toMatchObject({
      success: true,
      already_applied: false,
      applied_scenario_ids: ids.slice(0, 3),
      edited_fields: [{ scenario_id: ids[1], fields: ['tags'] }],
    });
    expect((await s.api('GET', `scenarios/${ids[1]}/`)).body).toMatchObject({ tags: ['base', 'checked'], max_duration: 120 });
    const [edited] = await revisions(ids[1]!);
    expect(edited.reason).toBe(`Applied from session ${session_id} (suggestions of job ${progress_id}). The reviewer edited tags before applying.`);
    expect((await revisions(ids[0]!))[0].reason).not.toContain('edited');
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).body.review_state).toBe('applied');
    expect(await session(session_id)).toMatchObject({ review_state: 'applied' });

    const before = await Promise.all(ids.slice(0, 3).map((id) => s.api('GET', `scenarios/${id}/`)));
    const again = await apply(items, { session_id, source_progress_id: progress_id });
    expect(again.status).toBe('completed');
    expect(again.result).toMatchObject({ success: true, already_applied: true, conflicts: [], applied_scenario_ids: [] });
    expect(again.result.message).toContain('already applied');
    const after = await Promise.all(ids.slice(0, 3).map((id) => s.api('GET', `scenarios/${id}/`)));
    expect(after.map((r) => r.body.revision)).toEqual(before.map((r) => r.body.revision));
  });

  it('an edited value is checked like any write: a bad one is a 400 naming it, and nothing changes', async () => {
    const { done, session_id, progress_id } = await improve('tag them', [ids[3]!]);
    const bad = [{ ...done.result.updated_scenarios[0], max_duration: 5 }];
    const res = await s.api('POST', 'scenarios/scenario-agent/', { apply_changes: true, updated_scenarios: bad, session_id });
    expect(res.status).toBe(400);
    expect(res.body.updated_scenarios).toEqual([expect.stringMatching(/^0\.max_duration: /)]);
    expect((await s.api('GET', `scenarios/${ids[3]}/`)).body.revision).toBe(1);
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).body.review_state).toBe('to_review');
  });

  it('a subset applied is partly applied, and the rest applied later makes it applied', async () => {
    const { done, session_id, progress_id } = await improve('tag them', [ids[3]!, ids[4]!]);
    const items = done.result.updated_scenarios;
    await apply(selectSuggestions(items, { scenarioIds: [ids[3]!] }), { session_id });
    expect((await s.api('GET', `scenarios/${ids[3]}/`)).body).toMatchObject({ tags: ['base', 'reviewed'], max_duration: 120 });
    expect((await s.api('GET', `scenarios/${ids[4]}/`)).body).toMatchObject({ tags: ['base'], max_duration: null });
    expect(await listed(session_id)).toMatchObject({ review_state: 'partly_applied' });
    await apply(selectSuggestions(items, { scenarioIds: [ids[4]!] }), { session_id, source_progress_id: progress_id });
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).body.review_state).toBe('applied');
  });

  it('discarded suggestions say so', async () => {
    const fresh = await createScenario(s.api, {
      name: 'Fresh caller',
      personality,
      tags: ['base'],
      agent: (await s.api('GET', `scenarios/${ids[0]}/`)).body.agent,
    });
    const { session_id, progress_id } = await improve('tag them', [fresh.id]);
    expect((await s.api('POST', 'scenarios/discard-changes/', { session_id })).body).toEqual({ success: true, session_id });
    expect((await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progress_id}`)).body.review_state).toBe('discarded');
    expect(await listed(session_id)).toMatchObject({ review_state: 'discarded' });
  });

  it('an apply naming a job that is not an improve or clarify of the caller is a 400', async () => {
    const res = await s.api('POST', 'scenarios/scenario-agent/', {
      apply_changes: true,
      updated_scenarios: [{ id: ids[0], tags: ['x'] }],
      source_progress_id: 'nope',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ source_progress_id: [expect.any(String)] });
  });
});

describe('a create revision', () => {
  it('lists only the fields the create set', async () => {
    const created = await createScenario(s.api, { name: 'Short one', personality, tags: ['x'], project: s.defaultProjectId });
    const [rev] = await revisions(created.id);
    expect(Object.keys(rev.changed_fields).sort()).toEqual(['name', 'personality', 'tags']);
  });
});
