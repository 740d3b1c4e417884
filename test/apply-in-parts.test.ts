import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectSuggestions } from '../src/domain/suggestion-review.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
import { twoFieldEngine } from './helpers/engines.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe.each(testDatabases)('applying one job in parts ($name)', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let personality: number;
  let agent: number;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env, { engine: twoFieldEngine() });
    personality = await personalityIdFromStore(s.running.store.db);
    agent = await insertAgent(s.running.store.db, s.defaultProjectId, 'Billing line', 'Answers billing questions. Handles refunds.');
  });
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  const scenarios = async (n: number, prefix: string) => {
    const out: any[] = [];
    for (let i = 0; i < n; i++)
      out.push(await createScenario(s.api, { name: `${prefix} ${i + 1}`, personality, agent, tags: ['billing'], instructions: `Call ${i}.` }));
    return out;
  };
  const improve = async (ids: number[]) => {
    const started = await startJob(s.api, { scenarios: ids, user_message: 'make them specific and tag them', project_id: s.defaultProjectId });
    const done = await waitForJob(s.api, started.progress_id);
    expect(done.status).toBe('completed');
    return { ...started, items: done.result.updated_scenarios as any[] };
  };
  const apply = async (items: unknown[], extra: Record<string, unknown>) =>
    waitForJob(s.api, (await startJob(s.api, { apply_changes: true, updated_scenarios: items, ...extra })).progress_id);
  const get = async (id: number) => (await s.api('GET', `scenarios/${id}/`)).body;
  const revisions = async (id: number) => (await s.api('GET', `scenarios/${id}/revisions/`)).body.results;
  const reviewState = async (progressId: string) => (await s.api('GET', `scenarios/scenario-agent-progress/?progress_id=${progressId}`)).body.review_state;

  it('applies the instructions of ten scenarios, then their tags: the second apply is no conflict, and each revision names the job', async () => {
    const ten = await scenarios(10, 'Refund');
    const ids = ten.map((x) => x.id);
    const { session_id, progress_id, items } = await improve(ids);

    const first = await apply(selectSuggestions(items, { fields: ['instructions'] }), { session_id, source_progress_id: progress_id });
    expect(first.result).toMatchObject({ success: true, applied_scenario_ids: ids });
    expect(await reviewState(progress_id)).toBe('partly_applied');

    const second = await apply(selectSuggestions(items, { fields: ['tags'] }), { session_id, source_progress_id: progress_id });
    expect(second.result).toMatchObject({ success: true, already_applied: false, conflicts: [], applied_scenario_ids: ids });
    for (const [i, id] of ids.entries()) {
      expect(await get(id)).toMatchObject({ revision: 3, instructions: `Call ${i}. Give the account number.`, tags: ['billing', 'reviewed'] });
    }
    expect(await reviewState(progress_id)).toBe('applied');
    const [tags, instructions] = await revisions(ids[0]);
    expect(tags).toMatchObject({ revision: 3, source_progress_id: progress_id, edited_by_user: [], changed_fields: { tags: expect.any(Object) } });
    expect(Object.keys(tags.changed_fields)).toEqual(['tags']);
    expect(instructions).toMatchObject({ revision: 2, source_progress_id: progress_id, changed_fields: { instructions: expect.any(Object) } });

    // The same suggestions once more: already applied, nothing written.
    const again = await apply(selectSuggestions(items, { fields: ['tags'] }), { session_id, source_progress_id: progress_id });
    expect(again.result).toMatchObject({ success: true, already_applied: true, conflicts: [], applied_scenario_ids: [] });
    expect((await Promise.all(ids.map(get))).map((x) => x.revision)).toEqual(ids.map(() => 3));
  });

  it('a part applied with a correction still counts as applied when the rest follows', async () => {
    const [fixed, plain] = await scenarios(2, 'Wrong tariff');
    const { session_id, progress_id, items } = await improve([fixed.id, plain.id]);
    const instructions = selectSuggestions(items, { fields: ['instructions'] }).map((u) =>
      u.id === fixed.id ? { ...u, instructions: 'Say which tariff you expected.' } : u,
    );
    await apply(instructions, { session_id, source_progress_id: progress_id });
    const tags = await apply(selectSuggestions(items, { fields: ['tags'] }), { session_id, source_progress_id: progress_id });
    expect(tags.result).toMatchObject({ success: true, applied_scenario_ids: [fixed.id, plain.id] });
    expect(await get(fixed.id)).toMatchObject({ instructions: 'Say which tariff you expected.', tags: ['billing', 'reviewed'] });
    expect(await reviewState(progress_id)).toBe('applied');
    // The later part carried the corrected value again: its revision marks only what it wrote.
    const [later] = await revisions(fixed.id);
    expect(later).toMatchObject({ edited_by_user: [], changed_fields: { tags: expect.any(Object) } });
    expect(later.reason).not.toContain('edited');
  });

  it('a corrected value sent again with the rest is in place, not a conflict, and not marked again', async () => {
    const [one] = await scenarios(1, 'Wrong plan');
    const { session_id, progress_id, items } = await improve([one.id]);
    const corrected = { ...items[0], instructions: 'Say which plan you chose.' };
    const first = { id: one.id, based_on_revision: 1, instructions: corrected.instructions, changes: { instructions: items[0].changes.instructions } };
    await apply([first], { session_id, source_progress_id: progress_id });
    const rest = await apply([corrected], { session_id, source_progress_id: progress_id });
    expect(rest.result).toMatchObject({ success: true, applied_scenario_ids: [one.id], edited_fields: [] });
    const [tags, instructions] = await revisions(one.id);
    expect(tags).toMatchObject({ revision: 3, edited_by_user: [] });
    expect(Object.keys(tags.changed_fields)).toEqual(['tags']);
    expect(instructions).toMatchObject({ revision: 2, edited_by_user: ['instructions'] });
  });

  it('an edit by anyone else between the two applies is still a conflict, and nothing of the second apply is written', async () => {
    const [edited, untouched] = await scenarios(2, 'Disputed charge');
    const { session_id, progress_id, items } = await improve([edited.id, untouched.id]);
    await apply(selectSuggestions(items, { fields: ['instructions'] }), { session_id, source_progress_id: progress_id });
    // Someone renames one scenario in between.
    expect((await s.api('PATCH', `scenarios/${edited.id}/`, { name: 'Disputed charge, renamed' })).status).toBe(200);

    const second = await apply(selectSuggestions(items, { fields: ['tags'] }), { session_id, source_progress_id: progress_id });
    expect(second.result).toMatchObject({
      success: false,
      conflicts: [{ scenario_id: edited.id, based_on_revision: 1, current_revision: 3, reason: 'changed' }],
    });
    expect(await get(edited.id)).toMatchObject({ revision: 3, tags: ['billing'] });
    expect(await get(untouched.id)).toMatchObject({ revision: 2, tags: ['billing'] });
  });

  it('the same field again with another value than the first apply wrote is a conflict; the same value is already applied', async () => {
    const [one] = await scenarios(1, 'Late fee');
    const { session_id, progress_id, items } = await improve([one.id]);
    const instructionsOnly = selectSuggestions(items, { fields: ['instructions'] });
    await apply(instructionsOnly, { session_id, source_progress_id: progress_id });

    const twice = await apply(instructionsOnly, { session_id, source_progress_id: progress_id });
    expect(twice.result).toMatchObject({ success: true, already_applied: true, applied_scenario_ids: [] });
    expect((await get(one.id)).revision).toBe(2);

    const other = [{ ...instructionsOnly[0], instructions: 'Something else entirely.' }];
    const overwrite = await apply(other, { session_id, source_progress_id: progress_id });
    expect(overwrite.result).toMatchObject({ success: false, conflicts: [{ scenario_id: one.id, reason: 'changed' }] });
    expect((await get(one.id)).instructions).toBe('Call 0. Give the account number.');

    // The whole job after a part of it: what is in place is left, the rest is written.
    const all = await apply(items, { session_id, source_progress_id: progress_id });
    expect(all.result).toMatchObject({ success: true, applied_scenario_ids: [one.id] });
    expect(await get(one.id)).toMatchObject({ revision: 3, tags: ['billing', 'reviewed'], instructions: 'Call 0. Give the account number.' });
  });

  it("a revert of the first apply in between is a write of someone else's: a conflict", async () => {
    const [one] = await scenarios(1, 'Roaming bill');
    const { session_id, progress_id, items } = await improve([one.id]);
    const first = await apply(selectSuggestions(items, { fields: ['instructions'] }), { session_id, source_progress_id: progress_id });
    expect((await s.api('POST', `changesets/${first.result.changeset_id}/revert/`, {})).status).toBe(200);
    const second = await apply(selectSuggestions(items, { fields: ['tags'] }), { session_id, source_progress_id: progress_id });
    expect(second.result).toMatchObject({ success: false, conflicts: [{ scenario_id: one.id, current_revision: 3 }] });
  });

  it('another job of the same scenarios applied in between is a conflict too', async () => {
    const [one] = await scenarios(1, 'Paper bill');
    const a = await improve([one.id]);
    const b = await improve([one.id]);
    await apply(selectSuggestions(b.items, { fields: ['instructions'] }), { session_id: b.session_id, source_progress_id: b.progress_id });
    const late = await apply(selectSuggestions(a.items, { fields: ['tags'] }), { session_id: a.session_id, source_progress_id: a.progress_id });
    expect(late.result).toMatchObject({ success: false, conflicts: [{ scenario_id: one.id, reason: 'changed' }] });
  });

  it("records the reviewer's corrections in the revision: edited_by_user, and the reason, in revisions and history", async () => {
    const [one] = await scenarios(1, 'Direct debit');
    const { session_id, progress_id, items } = await improve([one.id]);
    const corrected = [{ ...items[0], tags: ['billing', 'checked'] }];
    const done = await apply(corrected, { session_id, source_progress_id: progress_id });
    expect(done.result.edited_fields).toEqual([{ scenario_id: one.id, fields: ['tags'] }]);
    const [rev] = await revisions(one.id);
    expect(rev).toMatchObject({
      edited_by_user: ['tags'],
      source_progress_id: progress_id,
      reason: expect.stringContaining('The reviewer edited tags before applying.'),
    });
    const history = (await s.api('GET', `scenarios/${one.id}/history/`)).body.results;
    expect(history[0]).toMatchObject({ edited_by_user: ['tags'], source_progress_id: progress_id });
    expect(history[1]).toMatchObject({ edited_by_user: [], source_progress_id: null });
  });

  it('marks a draft the reviewer corrected before creating it, and leaves an untouched draft unmarked', async () => {
    const started = await startJob(s.api, { agent_id: agent, user_message: 'Draft scenarios for refunds and late fees', num_scenarios: 2 });
    const done = await waitForJob(s.api, started.progress_id);
    expect(done.status).toBe('completed');
    const [first, second] = done.result.updated_scenarios as any[];
    // The page sends a corrected value beside the one drafted; a script may send the value alone.
    const items = [
      { ...first, instructions: 'Ask for a refund of the second charge.', changes: { instructions: { old: null, new: first.instructions } } },
      { ...second },
    ];
    const applied = await apply(items, { session_id: started.session_id, source_progress_id: started.progress_id });
    expect(applied.result).toMatchObject({ success: true });
    const [a, b] = applied.result.created_scenario_ids;
    expect(applied.result.edited_fields).toEqual([{ scenario_id: a, fields: ['instructions'] }]);
    const [created] = await revisions(a);
    expect(created).toMatchObject({
      change_type: 'create',
      edited_by_user: ['instructions'],
      source_progress_id: started.progress_id,
      reason: `Applied from session ${started.session_id} (suggestions of job ${started.progress_id}). The reviewer edited instructions before applying.`,
    });
    expect((await revisions(b))[0]).toMatchObject({ edited_by_user: [], source_progress_id: started.progress_id });
    expect((await revisions(b))[0].reason).not.toContain('edited');
  });

  it('tells a corrected draft from its job even when the value comes alone', async () => {
    const started = await startJob(s.api, { agent_id: agent, user_message: 'Draft a scenario about a lost invoice', num_scenarios: 1 });
    const done = await waitForJob(s.api, started.progress_id);
    const [draft] = done.result.updated_scenarios as any[];
    const applied = await apply([{ ...draft, tags: ['invoices'] }], { session_id: started.session_id, source_progress_id: started.progress_id });
    const [id] = applied.result.created_scenario_ids;
    expect((await revisions(id))[0].edited_by_user).toEqual(['tags']);
  });
});
