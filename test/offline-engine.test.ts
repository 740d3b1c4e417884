import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, createScenario, personalityId, startJob, waitForJob } from './helpers/agent.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.stop());

describe('the default offline engine, end to end over HTTP', () => {
  it('improves, applies and drafts without any model', async () => {
    const agent = await createAgent(s.api, s.defaultProjectId);
    const personality = await personalityId(s.api);
    const a = await createScenario(s.api, { name: 'Refund', agent, personality, tool_ids: ['TOOL_END_CALL'] });
    const b = await createScenario(s.api, { name: 'Upgrade', agent, personality });
    const job = await startJob(s.api, { scenarios: 'all', agent_id: agent, user_message: 'add DTMF and set the language to French, and make them funnier' });
    const done = await waitForJob(s.api, job.progress_id);
    expect(done.status).toBe('completed');
    expect(done.result.updated_scenarios).toEqual([
      expect.objectContaining({ id: a.id, tool_ids: ['TOOL_END_CALL', 'TOOL_DTMF'], scenario_language: 'fr', based_on_revision: 1 }),
      expect.objectContaining({ id: b.id, tool_ids: ['TOOL_DTMF'], scenario_language: 'fr' }),
    ]);
    expect(done.result.message).toContain('make them funnier');
    // What was not done is named apart, with why; each change says what it carries out.
    expect(done.result.kind).toBe('improve');
    expect(done.result.not_done).toEqual([{ part: 'make them funnier', reason: expect.stringContaining('language model') }]);
    expect(done.result.updated_scenarios[0].reasons).toEqual({ tool_ids: 'added TOOL_DTMF', scenario_language: expect.stringContaining('French') });
    const applied = await waitForJob(
      s.api,
      (await startJob(s.api, { apply_changes: true, updated_scenarios: done.result.updated_scenarios, session_id: job.session_id })).progress_id,
    );
    expect(applied.result.applied_scenario_ids).toEqual([a.id, b.id]);
    expect((await s.api('GET', `scenarios/${b.id}/`)).body).toMatchObject({ scenario_language: 'fr', tool_ids: ['TOOL_DTMF'], revision: 2 });

    const kb = new FormData();
    kb.set('agent', String(agent));
    kb.set('file', new Blob(['# Refunds\nRefunds take 30 days.\n\n# Cancellations\nCancel any time.']), 'faq.md');
    const file = (await s.api('POST', 'knowledge-base-files/', kb)).body[0];
    const draft = await waitForJob(
      s.api,
      (await startJob(s.api, { agent_id: agent, user_message: '', knowledge_base: [file.id], num_scenarios: 2 })).progress_id,
    );
    expect(draft.status).toBe('completed');
    expect(draft.result.generated_scenarios.map((d: any) => d.source_files)).toContainEqual([file.id]);
    expect(draft.result.generated_scenarios[0]).toMatchObject({ draft: true, reason: expect.stringContaining('Tests how the agent handles') });
    expect(draft.result).toMatchObject({ kind: 'clarify', not_done: [] });
  });
});
