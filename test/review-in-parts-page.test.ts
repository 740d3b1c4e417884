import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../src/agent/engines/index.js';
import { type Scenario, ScenaristClient } from '../src/client/index.js';
import { loadConfig } from '../src/config.js';
import { hasChromium, openChromium, shotPath } from './helpers/chromium.js';
import { twoFieldEngine } from './helpers/engines.js';
import { batchIds, completion, errorReply, type FakeOpenAI, fakeModelEnv, type SeenRequest, startFakeOpenAI } from './helpers/fake-openai.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Signs in through the form, at the address given (a deep link keeps its place). */
async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').press('Enter');
  await page.getByRole('button', { name: 'New conversation' }).waitFor();
}

describe.skipIf(!hasChromium)('a review applied in parts, and corrected drafts, in a browser', () => {
  let s: TestServer;
  let client: ScenaristClient;
  let chrome: Awaited<ReturnType<typeof openChromium>>;
  let page: Page;
  let projectId: number;
  let agentId: number;
  let personality: number;

  beforeAll(async () => {
    s = await startTestServer({}, { engine: twoFieldEngine() });
    client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
    projectId = (await client.projects.create({ name: 'Support line' })).id;
    agentId = (await client.aiagents.create({ project: projectId, agent_name: 'Billing line', description: 'Answers billing questions. Handles refunds.' })).id;
    personality = (await client.personalities.list())[0]!.id;
    chrome = await openChromium({ width: 1280, height: 900 });
    page = chrome.page;
    page.setDefaultTimeout(10_000);
    await signIn(page, `${s.url}/#/projects/${projectId}`, s.key);
  });

  afterAll(async () => {
    await chrome?.close();
    await s?.stop();
  });

  const card = (name: string) => page.getByTestId('suggestion').filter({ has: page.getByRole('heading', { name }) });
  const row = (name: string) => page.getByTestId('summary').getByRole('row', { name: new RegExp(`^${name}`) });
  const make = async (names: string[]) => {
    const out: Scenario[] = [];
    for (const [i, name] of names.entries())
      out.push(await client.scenarios.create({ name, agent: agentId, personality, instructions: `Call ${i}.`, tags: ['billing'], project: projectId }));
    return out;
  };
  const improve = async (tag: string) => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Tag', { exact: true }).fill(tag);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByLabel('All scenarios').uncheck();
    for (const box of await page.getByRole('list', { name: 'Scenarios found' }).getByRole('checkbox').all()) await box.check();
    await page.getByLabel('Your request').fill('Make the instructions specific and tag them reviewed');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('summary').waitFor();
  };

  it('applies the instructions now and the tags later from the same review, with no conflict', async () => {
    const three = await make(['Refund A', 'Refund B', 'Refund C']);
    for (const sc of three) await client.scenarios.update(sc.id, { tags: ['billing', 'parts'] });
    await improve('parts');
    await row('Tags: add reviewed').getByRole('button', { name: 'Reject all: Tags: add reviewed' }).click();
    await expect.poll(() => page.getByTestId('apply').textContent()).toBe('Apply 3 accepted change(s) to 3 scenario(s)');
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('3 scenario(s) updated');
    expect(await page.getByTestId('apply-outcome').textContent()).toContain('What you did not accept stays in this review');

    // The instructions are settled; the tags wait, and can still be accepted.
    await expect.poll(() => card('Refund A').locator('[data-field="instructions"] [data-testid="field-applied"]').textContent()).toBe('Applied.');
    expect(await card('Refund A').getByLabel('Accept: Instructions').isDisabled()).toBe(true);
    expect(await card('Refund A').getByLabel('Accept: Tags').isEnabled()).toBe(true);
    expect(await row('Instructions').getByTestId('row-accepted').textContent()).toBe('0 of 3 · 3 applied');
    expect(await page.getByTestId('apply-counts').textContent()).toBe('0 change(s) accepted in 0 scenario(s) · 3 rejected · 3 applied');
    await page.getByTestId('review').screenshot({ path: shotPath('review-in-parts.png') });

    await row('Tags: add reviewed').getByRole('button', { name: 'Accept all: Tags: add reviewed' }).click();
    await expect.poll(() => page.getByTestId('apply').textContent()).toBe('Apply 3 accepted change(s) to 3 scenario(s)');
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toMatch(/^Applied 3 change\(s\): 3 scenario\(s\) updated, 0 created\.$/);
    expect(await page.getByTestId('conflict').count()).toBe(0);
    for (const [i, sc] of three.entries()) {
      expect(await client.scenarios.get(sc.id)).toMatchObject({
        revision: 4,
        instructions: `Call ${i}. Give the account number.`,
        tags: ['billing', 'parts', 'reviewed'],
      });
    }
    // Applied whole: the review is closed, and the conversation says so.
    expect(await page.getByTestId('apply').isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('sessions').getByTestId('review-state').first().textContent()).toBe('Applied');
  });

  it('an edit by someone else between the two applies is a conflict shown beside the scenario; the rest applies after', async () => {
    const [edited, untouched] = (await make(['Disputed charge', 'Late fee'])) as [Scenario, Scenario];
    for (const sc of [edited, untouched]) await client.scenarios.update(sc.id, { tags: ['billing', 'between'] });
    await improve('between');
    await row('Tags: add reviewed').getByRole('button', { name: 'Reject all: Tags: add reviewed' }).click();
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('2 scenario(s) updated');
    await client.scenarios.update(edited.id, { name: 'Disputed charge (renamed)' });

    await row('Tags: add reviewed').getByRole('button', { name: 'Accept all: Tags: add reviewed' }).click();
    await page.getByTestId('apply').click();
    const conflict = page.getByTestId('conflict');
    await expect.poll(() => conflict.textContent()).toContain('Changed since the suggestion was made');
    expect(await conflict.count()).toBe(1);
    expect(await card('Disputed charge').getByTestId('conflict').count()).toBe(1);
    expect((await client.scenarios.get(edited.id)).tags).toEqual(['billing', 'between']);
    expect((await client.scenarios.get(untouched.id)).tags).toEqual(['billing', 'between']);

    await conflict.getByRole('button', { name: 'Leave this scenario out' }).click();
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('1 scenario(s) updated');
    expect((await client.scenarios.get(untouched.id)).tags).toEqual(['billing', 'between', 'reviewed']);
    expect((await client.scenarios.get(edited.id)).tags).toEqual(['billing', 'between']);
  });

  it('a reload of a review applied in part offers the rest, with nothing accepted, and applies it', async () => {
    const pair = await make(['Roaming bill', 'Paper bill']);
    for (const sc of pair) await client.scenarios.update(sc.id, { tags: ['billing', 'later'] });
    await improve('later');
    await row('Tags: add reviewed').getByRole('button', { name: 'Reject all: Tags: add reviewed' }).click();
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('2 scenario(s) updated');
    await page.reload();
    await page.getByTestId('partly-applied').waitFor();
    expect(await page.getByTestId('apply').isDisabled()).toBe(true);
    await row('Tags: add reviewed').getByRole('button', { name: 'Accept all: Tags: add reviewed' }).click();
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('2 scenario(s) updated');
    for (const sc of pair) expect((await client.scenarios.get(sc.id)).tags).toEqual(['billing', 'later', 'reviewed']);
  });

  it('a value corrected on the page is marked in the revision, for a suggestion and for a draft, and the history shows it', async () => {
    const [one] = await make(['Direct debit']);
    await client.scenarios.update(one!.id, { tags: ['billing', 'debit'] });
    await improve('debit');
    const debit = card('Direct debit');
    await debit.getByRole('button', { name: 'Edit Instructions of Direct debit' }).click();
    await debit.getByRole('textbox').first().fill('Ask why the debit failed twice.');
    await debit.getByRole('button', { name: 'Keep my value' }).click();
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('1 scenario(s) updated');
    const [rev] = (await client.scenarios.revisions(one!.id)).results;
    expect(rev).toMatchObject({ edited_by_user: ['instructions'] });
    await debit.getByRole('button', { name: 'Revision history' }).click();
    const dialog = page.getByTestId('history-dialog');
    await expect.poll(() => dialog.getByTestId('edited-by-user').first().textContent()).toContain('Edited by the reviewer before applying: Instructions.');
    await dialog.getByRole('button', { name: 'Close' }).click();

    // A draft corrected in place before it is created.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Draft new scenarios for an agent').check();
    await page.getByLabel('Agent', { exact: true }).selectOption({ label: 'Billing line' });
    await page.getByLabel('How many drafts').fill('1');
    await page.getByLabel('Your request').fill('Draft a scenario about a refund for a double charge');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('suggestion').count()).toBe(1);
    const draft = page.getByTestId('suggestion').first();
    const draftName = (await draft.locator('h4').textContent())!.replace(/ \(new scenario\)$/, '');
    await draft.getByRole('button', { name: `Edit Instructions of ${draftName}` }).click();
    await draft.getByRole('textbox').first().fill('You were charged twice for March. Ask for the second charge back.');
    await draft.getByRole('button', { name: 'Keep my value' }).click();
    await expect.poll(() => draft.getByTestId('edited').count()).toBe(1);
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('1 created');
    const created = (await client.scenarios.all({ project_id: projectId })).find((x) => x.name === draftName)!;
    expect(created.instructions).toBe('You were charged twice for March. Ask for the second charge back.');
    const [first] = (await client.scenarios.revisions(created.id)).results;
    expect(first).toMatchObject({
      change_type: 'create',
      edited_by_user: ['instructions'],
      reason: expect.stringContaining('The reviewer edited instructions'),
    });

    // Its history, from the scenario list.
    await page.getByLabel('Improve existing scenarios').check();
    await page.getByLabel('Search').fill(draftName);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: `Revision history of ${draftName}` }).click();
    await expect.poll(() => dialog.getByTestId('edited-by-user').textContent()).toContain('Edited by the reviewer before applying: Instructions.');
    await dialog.screenshot({ path: shotPath('history-edited.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
  });
});

describe.skipIf(!hasChromium)('Retry for a job that failed for a passing cause, however its conversation is opened', () => {
  let fake: FakeOpenAI;
  let s: TestServer;
  let client: ScenaristClient;
  let chrome: Awaited<ReturnType<typeof openChromium>>;
  let page: Page;
  let projectId: number;
  let scenarios: Scenario[];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    // Every request goes to the model, so its timeout is what the job meets.
    const env = fakeModelEnv(fake, { SCENARIST_LLM_TIMEOUT_MS: '400', SCENARIST_LLM_MAX_RETRIES: '0', SCENARIST_PLANNER_FIRST: 'false' });
    s = await startTestServer(env, { engine: createEngine(loadConfig({ ...env, SCENARIST_DATA_DIR: '/tmp' }), { retryBaseMs: 20 }) });
    client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
    projectId = (await client.projects.create({ name: 'Retry line' })).id;
    const agent = await client.aiagents.create({ project: projectId, agent_name: 'Billing line', description: 'Answers billing questions.' });
    const personality = (await client.personalities.list())[0]!.id;
    scenarios = [];
    for (const name of ['Timeout one', 'Timeout two'])
      scenarios.push(await client.scenarios.create({ name, agent: agent.id, personality, instructions: 'Call.', tags: ['base'], project: projectId }));
    chrome = await openChromium({ width: 1280, height: 900 });
    page = chrome.page;
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await chrome?.close();
    await s?.stop();
    await fake?.stop();
  });

  const tagBatch = (req: SeenRequest) =>
    completion({
      message: `Tagged ${batchIds(req).length}.`,
      changes: batchIds(req).map((id) => ({ scenario_id: id, fields: { tags: ['base', 'retried'] } })),
    });

  it('a model timeout, opened from a link, offers Retry, which sends the stored request again and reaches the suggestions', async () => {
    fake.fallback = { hang: true };
    const ids = scenarios.map((x) => x.id);
    const started = await client.scenarioAgent.improve({ scenarios: ids, project_id: projectId, user_message: 'Tag them retried' });
    const failed = await client.waitFor(started.progress_id);
    expect(failed).toMatchObject({ status: 'failed', failure_kind: 'model_unavailable' });

    const sent: Array<Record<string, unknown>> = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/scenarios/scenario-agent/')) sent.push(r.postDataJSON());
    });
    await signIn(page, `${s.url}/#/projects/${projectId}/conversations/${started.session_id}`, s.key);
    await page.getByTestId('job-failed').waitFor();
    expect(await page.getByTestId('job-failed').textContent()).toContain('did not answer within 400 ms');
    await page.screenshot({ path: shotPath('retry-from-link.png') });
    fake.fallback = tagBatch;
    await page.getByTestId('retry').click();
    await expect.poll(() => page.getByTestId('suggestion').count(), { timeout: 10_000 }).toBe(2);
    expect(sent).toEqual([
      expect.objectContaining({ session_id: started.session_id, scenarios: ids, user_message: 'Tag them retried', project_id: projectId }),
    ]);
    const [session] = await client.sessions.list(projectId);
    expect(session).toMatchObject({ id: started.session_id, review_state: 'to_review', review_count: 2 });
  });

  it('a refusal opened from the conversation list is an error with no Retry', async () => {
    fake.fallback = errorReply(401);
    const refused = await client.scenarioAgent.improve({ scenarios: [scenarios[0]!.id], project_id: projectId, user_message: 'Tag them refused' });
    expect(await client.waitFor(refused.progress_id)).toMatchObject({ status: 'failed', failure_kind: 'model_refused', retry_request: null });
    await page.reload();
    await page.getByRole('button', { name: 'New conversation' }).waitFor();
    await page
      .getByTestId('sessions')
      .getByRole('link', { name: /Tag them refused/ })
      .click();
    await page.getByTestId('job-failed').waitFor();
    expect(await page.getByTestId('job-failed').textContent()).toContain('rejected the API key');
    expect(await page.getByTestId('retry').count()).toBe(0);
  });
});
