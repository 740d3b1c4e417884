import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEngine } from '../src/agent/engines/index.js';
import { loadConfig } from '../src/config.js';
import { ScenarioAgentBody } from '../src/domain/scenario-agent.js';
import { submitScenarioAgent } from '../src/services/submit.js';
import { isDataError } from '../src/store/data-errors.js';
import { claimNext, failExhausted, insertJob, recordAttemptFailure } from '../src/store/jobs.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForInstructions, waitForJob } from './helpers/agent.js';
import { batchIds, completion, type FakeOpenAI, type SeenRequest, startFakeOpenAI } from './helpers/fake-openai.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Jobs never crash-loop on their data: what a job would write is checked before its final
 * transaction, a write refused for its data ends the job at once with that reason, and "the worker
 * stopped" is said only when one did. Run on PostgreSQL (SCENARIST_TEST_PG=1), where NUL is refused
 * by the database itself, and on SQLite, where the same rule holds.
 */
describe('isDataError', () => {
  it('tells data refusals from lost connections', () => {
    expect(isDataError(Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }))).toBe(true);
    expect(isDataError(Object.assign(new Error('unique'), { code: '23505' }))).toBe(true);
    expect(isDataError(Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_NOTNULL' }))).toBe(true);
    expect(isDataError(Object.assign(new Error('gone'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isDataError(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe(false);
    expect(isDataError(new Error('no code'))).toBe(false);
  });
});

describe.each(testDatabases)('job data on $name', ({ name }) => {
  let fake: FakeOpenAI;
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let agent: number;
  let personality: number;
  let organizationId: number;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    fake = await startFakeOpenAI();
    const env = {
      SCENARIST_MODEL: 'openai-compatible:fake-model',
      SCENARIST_LLM_BASE_URL: fake.url,
      SCENARIST_LLM_API_KEY: 'sk-local',
      SCENARIST_LLM_MAX_RETRIES: '0',
      ...database.env,
    };
    const engine = createEngine(loadConfig({ ...env, SCENARIST_DATA_DIR: '/tmp' }), { retryBaseMs: 10 });
    s = await startTestServer(env, { engine });
    agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    personality = await personalityIdFromStore(s.running.store.db);
    organizationId = (await s.running.store.db.selectFrom('projects').select('organization_id').executeTakeFirstOrThrow()).organization_id;
  });
  afterAll(async () => {
    await s?.stop();
    await fake?.stop();
    await database?.drop();
  });
  beforeEach(() => fake.reset());

  const jobRow = (progressId: string) => s.running.store.db.selectFrom('jobs').selectAll().where('progress_id', '=', progressId).executeTakeFirstOrThrow();

  it('an apply item with a NUL that got past the edge fails the job once, saying why, and writes nothing', async () => {
    const target = await createScenario(s.api, { name: 'Target', agent, personality, instructions: 'Before' });
    const body = ScenarioAgentBody.parse({ apply_changes: true, updated_scenarios: [{ id: target.id, based_on_revision: 1, instructions: 'Say\u0000hi' }] });
    const job = await submitScenarioAgent(
      s.running.store.db,
      loadConfig(database.env),
      { organizationId, keyId: null as never },
      body,
      new Date().toISOString(),
    );
    s.running.app.log.level = 'silent';
    const done = await waitForJob(s.api, job.progress_id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringContaining('NUL') });
    expect(done.error).not.toMatch(/worker/i);
    expect((await jobRow(job.progress_id)).attempts).toBe(1);
    expect((await s.api('GET', `scenarios/${target.id}/`)).body).toMatchObject({ instructions: 'Before', revision: 1 });
  });

  it('a model answer with a NUL fails the improve job once, saying why, with its model calls counted', async () => {
    const target = await createScenario(s.api, { name: 'Improve me', agent, personality, instructions: 'Before' });
    fake.fallback = (req: SeenRequest) =>
      completion({ message: 'Done.', changes: batchIds(req).map((id) => ({ scenario_id: id, fields: { instructions: 'Say\u0000hi' } })) });
    const done = await waitForJob(s.api, (await startJob(s.api, { scenarios: [target.id], user_message: 'Make them friendlier' })).progress_id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringContaining('NUL'), usage: { model_calls: 1 } });
    expect(done.error).not.toMatch(/worker/i);
    expect((await jobRow(done.progress_id)).attempts).toBe(1);
    // The session says so too, and the scenario is untouched.
    const session = await s.api('GET', `scenario-improvement-sessions/${done.session_id}/`);
    expect(session.body.conversation_history.at(-1).content).toContain('NUL');
    expect((await s.api('GET', `scenarios/${target.id}/`)).body.revision).toBe(1);
  });

  it('an instructions job whose model answer has a NUL fails once, and cannot be applied', async () => {
    const target = await createScenario(s.api, { name: 'Instructions', agent, personality, instructions: 'Before' });
    fake.fallback = completion({ message: 'Rewritten.', instructions: 'Greet\u0000them', expected_outcome_prompt: 'They were greeted.' });
    const start = await s.api('POST', `scenarios/${target.id}/improve_instructions/`, { user_message: 'Friendlier' });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const done = await waitForInstructions(s.api, start.body.progress_id);
    expect(done).toMatchObject({ status: 'failed', error: expect.stringContaining('NUL') });
    expect((await jobRow(start.body.progress_id)).attempts).toBe(1);
    const apply = await s.api('POST', `scenarios/${target.id}/apply_instructions/`, { progress_id: start.body.progress_id });
    expect(apply.status).toBeLessThan(500);
    expect(apply.status).toBeGreaterThanOrEqual(400);
    expect((await s.api('GET', `scenarios/${target.id}/`)).body.instructions).toBe('Before');
  });

  it('a failed instructions job reports the model calls it made', async () => {
    const target = await createScenario(s.api, { name: 'Unreadable', agent, personality, instructions: 'Before' });
    fake.fallback = completion('this is not JSON at all');
    const start = await s.api('POST', `scenarios/${target.id}/improve_instructions/`, { user_message: 'Friendlier' });
    const done = await waitForInstructions(s.api, start.body.progress_id);
    expect(done.status).toBe('failed');
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(done.usage.model_calls).toBe(fake.requests.length);
  });

  it('a job given up after failed attempts says what failed; only one with no reason blames a worker', async () => {
    const db = s.running.store.db;
    const make = () =>
      insertJob(
        db,
        {
          organizationId,
          projectId: s.defaultProjectId,
          sessionId: null,
          kind: 'no-such-kind' as never,
          mode: 'improve',
          request: {},
          maxAttempts: 1,
          createdBy: null,
        },
        new Date().toISOString(),
      );
    const failing = await make();
    const stopped = await make();
    const claimed = await claimNext(db, 'test-owner', 60_000, new Date(), ['no-such-kind'], failing.progress_id);
    await recordAttemptFailure(db, { jobId: claimed!.id, owner: 'test-owner', attempt: claimed!.attempts }, 'connection terminated', new Date());
    await claimNext(db, 'dead-owner', 1, new Date(Date.now() - 10_000), ['no-such-kind'], stopped.progress_id);
    const failed = await failExhausted(db, new Date(Date.now() + 1_000));
    const byId = new Map(failed.map((j) => [j.id, j.error]));
    expect(byId.get(failing.id)).toMatch(/failed 1 time\(s\).*Last error: connection terminated/);
    expect(byId.get(stopped.id)).toMatch(/worker running this job stopped 1 time/);
    // Either way no answer came for a cause that may pass: the request is worth sending again.
    expect(failed.map((j) => j.failure_kind)).toEqual(failed.map(() => 'worker_stopped'));
    expect(failed).toHaveLength(2);
  });
});
