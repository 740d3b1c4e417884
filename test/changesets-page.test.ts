import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scenario, ScenaristClient } from '../src/client/index.js';
import { hasChromium, openChromium } from './helpers/chromium.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A conversation's and a scenario history's changesets on the review page, reverted with one button. */
describe.skipIf(!hasChromium)('changesets on the review page', () => {
  let s: TestServer;
  let client: ScenaristClient;
  let browser: Awaited<ReturnType<typeof openChromium>> | undefined;
  let page: Page;
  let scenarios: Scenario[];
  let sessionId: number;
  let changesetId: number;

  beforeAll(async () => {
    s = await startTestServer();
    client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
    const project = s.defaultProjectId;
    const agent = await client.aiagents.create({ project, agent_name: 'Billing line', description: 'Answers billing questions.' });
    const personality = (await client.personalities.list())[0]!.id;
    scenarios = [];
    for (const name of ['Refund for a double charge', 'Upgrade to the unlimited plan'])
      scenarios.push(await client.scenarios.create({ name, agent: agent.id, personality, project }));
    const started = await client.scenarioAgent.apply(
      scenarios.map((sc) => ({ id: sc.id, based_on_revision: 1, max_duration: 300 })),
      { project_id: project },
    );
    const done = await client.waitFor(started.progress_id);
    sessionId = started.session_id;
    changesetId = (done.result as { changeset_id: number }).changeset_id;
    await client.sessions.update(sessionId, { title: 'Limit calls' });
    // Someone edits one of them after the apply.
    await client.scenarios.update(scenarios[1]!.id, { name: 'Upgrade, edited by hand' });

    browser = await openChromium({ width: 1366, height: 768 });
    page = browser.page;
    page.setDefaultTimeout(8_000);
    await page.goto(`${s.url}/`);
    await page.getByLabel('API key').fill(s.key);
    await page.getByLabel('API key').press('Enter');
    await page.getByLabel('Project').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it("shows a conversation's apply with its diff, reverts it with the edited scenario named, then over the edit", async () => {
    await page
      .getByTestId('sessions')
      .getByRole('link', { name: /Limit calls/ })
      .click();
    const entry = page.getByTestId(`changeset-${changesetId}`);
    await expect.poll(() => entry.textContent()).toContain(`Changeset ${changesetId} (apply)`);
    await entry.getByText('Changed: max_duration').click();
    await expect.poll(() => entry.getByTestId('changeset-item').count()).toBe(2);
    await expect.poll(() => entry.getByTestId('changeset-item').first().getByTestId('diff-after').textContent()).toContain('300');

    await entry.getByRole('button', { name: `Revert Changeset ${changesetId} (apply)`, exact: true }).click();
    const status = page.getByTestId('changeset-status');
    await expect.poll(() => status.textContent()).toContain(`Scenario ${scenarios[1]!.id} changed since`);
    expect((await client.scenarios.get(scenarios[0]!.id)).max_duration).toBeNull();
    expect((await client.scenarios.get(scenarios[1]!.id)).max_duration).toBe(300);
    await expect.poll(() => page.getByTestId(`changeset-${changesetId}`).textContent()).toContain('partly reverted');

    await page.getByTestId(`force-revert-changeset-${changesetId}`).click();
    await expect.poll(() => status.textContent()).toContain('1 scenario(s) restored');
    expect(await client.scenarios.get(scenarios[1]!.id)).toMatchObject({ name: 'Upgrade, edited by hand', max_duration: null });
    await expect.poll(() => page.getByTestId(`changeset-${changesetId}`).textContent()).toContain('reverted');
    // 'partly reverted' already contains 'reverted': wait for the page to drop the Revert button itself.
    await expect.poll(() => page.getByTestId(`revert-changeset-${changesetId}`).count()).toBe(0);
  });

  it("lists the changesets in a scenario's history and reverts one there", async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('button', { name: `Revision history of ${scenarios[0]!.name}` }).click();
    const dialog = page.getByTestId('history-dialog');
    const revertOfApply = dialog
      .getByTestId('changesets')
      .getByRole('button', { name: `Revert Revert of changeset ${changesetId}` })
      .first();
    await revertOfApply.click();
    // The first revert undid only this scenario (the other was edited); undoing that revert redoes it.
    await expect.poll(() => dialog.getByTestId('changeset-status').textContent()).toMatch(/^Reverted changeset \d+: 1 scenario\(s\) restored/);
    // The revision list above is read again: the redo is the newest revision.
    await expect.poll(() => dialog.locator('.revisions li').first().textContent()).toContain('revert');
    expect((await client.scenarios.get(scenarios[0]!.id)).max_duration).toBe(300);
  });
});
