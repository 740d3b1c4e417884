import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImproveInput, ScenarioEngine } from '../src/agent/engine.js';
import { OfflineEngine } from '../src/agent/engines/offline-engine.js';
import { type Scenario, ScenaristClient } from '../src/client/index.js';
import { hasChromium, openChromium, shotPath } from './helpers/chromium.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SIZE = 2_000;

/** The offline engine, except that a request to tag scenarios "retried" fails the first time it is sent. */
function flakyOnce(): ScenarioEngine {
  const offline = new OfflineEngine();
  let failed = false;
  return {
    name: 'flaky-once',
    batchSize: offline.batchSize,
    concurrency: offline.concurrency,
    async improve(input: ImproveInput) {
      if (input.userMessage.includes('retried') && !failed) {
        failed = true;
        throw new Error('the model server closed the connection');
      }
      return offline.improve(input);
    },
    clarify: (input) => offline.clarify(input),
    instructions: (input) => offline.instructions(input),
  };
}

describe.skipIf(!hasChromium)('a review of 2,000 suggestions in a browser', () => {
  let s: TestServer;
  let client: ScenaristClient;
  let chrome: Awaited<ReturnType<typeof openChromium>>;
  let page: Page;
  let projectId: number;
  let sessionId: number;
  let progressId: string;
  let scenarios: Scenario[] = [];

  beforeAll(async () => {
    s = await startTestServer({}, { engine: flakyOnce() });
    client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
    projectId = (await client.projects.create({ name: 'Call centre' })).id;
    const agent = await client.aiagents.create({ project: projectId, agent_name: 'Billing line', description: 'Answers billing questions.' });
    const personality = (await client.personalities.list())[0]!.id;
    for (let start = 0; start < SIZE; start += 1_000) {
      scenarios.push(
        ...(await client.scenarios.bulkCreate(
          Array.from({ length: 1_000 }, (_, i) => ({
            name: `Billing question ${start + i + 1}`,
            agent: agent.id,
            personality,
            project: projectId,
            tags: ['billing'],
            instructions: `You were charged twice in month ${((start + i) % 12) + 1}.`,
          })),
        )),
      );
    }
    scenarios = scenarios.sort((a, b) => a.id - b.id);
    const started = await client.scenarioAgent.improve({
      scenarios: 'all',
      project_id: projectId,
      user_message: 'Add the DTMF tool, limit calls to 5 minutes and add tag reviewed',
    });
    ({ progress_id: progressId, session_id: sessionId } = started);
    const done = await client.waitFor(progressId);
    expect(done.status).toBe('completed');
    chrome = await openChromium({ width: 1280, height: 900 });
    page = chrome.page;
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await chrome?.close();
    await s?.stop();
  });

  const row = (name: string) => page.getByTestId('summary').getByRole('row', { name: new RegExp(`^${name}`) });

  it('a link to the conversation opens its review: the summary by field first, one page of cards, the counts in a bar', async () => {
    await page.goto(`${s.url}/#/projects/${projectId}/conversations/${sessionId}`);
    await page.getByLabel('API key').fill(s.key);
    await page.getByLabel('API key').press('Enter');
    await page.getByTestId('summary').waitFor();
    expect(page.url()).toContain(`#/projects/${projectId}/conversations/${sessionId}`);
    expect(await row('Tools: add DTMF').locator('td').first().textContent()).toBe('2,000');
    expect(await row('Maximum call length').locator('td').first().textContent()).toBe('2,000');
    expect(await row('Tags: add reviewed').locator('td').first().textContent()).toBe('2,000');
    // Only one page of cards is drawn, whatever the size.
    expect(await page.getByTestId('suggestion').count()).toBe(50);
    expect(await page.getByTestId('showing').textContent()).toBe('Showing 1–50 of 2,000');
    expect(await page.getByTestId('apply-counts').textContent()).toBe('6,000 change(s) accepted in 2,000 scenario(s) · 0 rejected');
    // The conversation list says what waits.
    expect(await page.getByTestId('sessions').getByTestId('review-state').first().textContent()).toBe('To review: 2000');
    await page.screenshot({ path: shotPath('review-1280.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('summary').scrollIntoViewIfNeeded();
    await page.screenshot({ path: shotPath('review-390.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('rejects one field everywhere, edits one value, filters, and applies exactly that', async () => {
    await row('Maximum call length').getByRole('button', { name: 'Reject all: Maximum call length' }).click();
    await expect.poll(() => page.getByTestId('apply-counts').textContent()).toBe('4,000 change(s) accepted in 2,000 scenario(s) · 0 rejected');
    expect(await row('Maximum call length').getByTestId('row-accepted').textContent()).toBe('0 of 2,000');
    await row('Tools: add DTMF').getByRole('button', { name: 'Accept all: Tools: add DTMF' }).click();

    // Filter to one scenario by text, and correct its suggested tags as chips.
    await page.getByLabel('Text', { exact: true }).fill('Billing question 1999');
    await expect.poll(() => page.getByTestId('showing').textContent()).toBe('Showing 1–1 of 1 (filtered from 2,000)');
    const first = page.getByTestId('suggestion').filter({ has: page.getByRole('heading', { name: /^Billing question 1999 / }) });
    await first.getByRole('button', { name: 'Edit Tags of Billing question 1999' }).click();
    await first.getByRole('textbox', { name: 'Your tags' }).fill('checked');
    await first.getByRole('textbox', { name: 'Your tags' }).press('Enter');
    await first.getByRole('button', { name: 'Keep my value' }).click();
    await expect.poll(() => first.getByTestId('edited').count()).toBe(1);
    await expect.poll(() => page.getByTestId('apply-counts').textContent()).toContain('1 edited by you');
    await page.getByLabel('State').selectOption('partly');
    await page.getByLabel('Text', { exact: true }).fill('');
    await expect.poll(() => page.getByTestId('showing').textContent()).toBe('Showing 1–50 of 2,000');

    // The bar stays in view while scrolling the cards.
    await page.getByTestId('suggestion').nth(30).scrollIntoViewIfNeeded();
    const bar = await page.getByTestId('apply-bar').boundingBox();
    expect(bar!.y + bar!.height).toBeLessThanOrEqual(900 + 1);
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent(), { timeout: 30_000 }).toContain('2000 scenario(s) updated');

    const now = await client.scenarios.all({ project_id: projectId });
    expect(now).toHaveLength(SIZE);
    const seven = now.find((x) => x.name === 'Billing question 1999')!;
    expect(seven.tags).toEqual(['billing', 'reviewed', 'checked']);
    const others = now.filter((x) => x.id !== seven.id);
    expect(others.every((x) => x.tags.join() === 'billing,reviewed' && x.tool_ids.join() === 'TOOL_DTMF' && x.max_duration === null && x.revision === 2)).toBe(
      true,
    );
    const [rev] = (await client.scenarios.revisions(seven.id)).results;
    expect(rev!.reason).toContain('The reviewer edited tags before applying.');
    await expect.poll(() => page.getByTestId('sessions').getByTestId('review-state').first().textContent()).toBe('Partly applied');
  });

  it('reload keeps the place; at 390 px the page still reads', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole('heading', { name: /Add the DTMF tool/ }).waitFor();
    expect(page.url()).toContain(`/conversations/${sessionId}`);
    // The part left (the call length, rejected everywhere) is offered again, with nothing accepted.
    await page.getByTestId('partly-applied').waitFor();
    expect(await page.getByTestId('apply-counts').textContent()).toBe('0 change(s) accepted in 0 scenario(s) · 2,000 rejected');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('a failed job says why beside the request, and Retry sends the same request for the same scenarios', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Search').fill('Billing question 12');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('checkbox', { name: /^Billing question 12 ·/ }).check();
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/scenarios/scenario-agent/')) sent.push(r.postDataJSON());
    });
    await page.getByLabel('Your request').fill('Add tag retried');
    // Ctrl+Enter sends.
    await page.getByLabel('Your request').press('Control+Enter');
    await page.getByTestId('job-failed').waitFor();
    expect(await page.getByTestId('job-failed').textContent()).toContain('the model server closed the connection');
    await page.getByTestId('retry').click();
    await expect.poll(() => page.getByTestId('suggestion').count(), { timeout: 10_000 }).toBe(1);
    expect(sent).toHaveLength(2);
    expect((sent[1] as { scenarios: number[] }).scenarios).toEqual((sent[0] as { scenarios: number[] }).scenarios);
    expect((sent[1] as { user_message: string }).user_message).toBe('Add tag retried');
  });

  it('focus is shown in a colour that is not the error red; an empty project offers the next step', async () => {
    await page.getByTestId('apply').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const [outline, errorColour] = await page
      .getByTestId('apply')
      .evaluate((el) => [getComputedStyle(el).outlineColor, getComputedStyle(document.documentElement).getPropertyValue('--error')]);
    expect(outline).not.toBe('rgb(165, 14, 14)');
    expect(errorColour.trim()).toBe('#a50e0e');

    const empty = await client.projects.create({ name: 'Empty one' });
    await page.reload();
    await page.getByLabel('Project').selectOption(String(empty.id));
    await expect.poll(() => page.getByTestId('no-scenarios').textContent()).toContain('This project has no scenarios yet.');
    expect(await page.getByTestId('no-scenarios').textContent()).toContain(`scenarist scenarios import --project ${empty.id}`);
    expect(page.url()).toContain(`#/projects/${empty.id}`);
  });
});
