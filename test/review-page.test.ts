import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scenario, ScenaristClient } from '../src/client/index.js';
import { hasChromium, openChromium, shotPath } from './helpers/chromium.js';
import { pacedEngine } from './helpers/engines.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Requests that say "held" wait until the test lets them go, so the page can open one still running. */
const held = { wait: Promise.resolve(), release: () => {} };
const holdNext = () => {
  held.wait = new Promise<void>((r) => (held.release = r));
};

describe.skipIf(!hasChromium)('the review page in a browser', () => {
  let s: TestServer;
  let client: ScenaristClient;
  let chrome: Awaited<ReturnType<typeof openChromium>>;
  let page: Page;
  let projectId: number;
  const scenarios: Scenario[] = [];

  beforeAll(async () => {
    s = await startTestServer({}, { engine: pacedEngine(300, (input) => (input.userMessage.includes('held') ? held.wait : undefined)) });
    client = new ScenaristClient({ baseUrl: s.url, apiKey: s.key });
    projectId = (await client.projects.create({ name: 'Support line' })).id;
    const agent = await client.aiagents.create({
      project: projectId,
      agent_name: 'Billing line',
      description: 'Billing line is a voice agent. It answers billing questions. Handles refunds for double charges.',
    });
    const personality = (await client.personalities.list())[0]!.id;
    for (const [name, instructions] of [
      ['Refund for a double charge', 'You were charged twice for October. Ask for a refund.'],
      ['Upgrade to the unlimited plan', 'Ask what the unlimited plan costs and switch to it.'],
      ['Cancel the contract', 'You are moving abroad. Cancel your contract.'],
      ['Report an outage', 'Your internet has been down since morning.'],
    ] as const) {
      const tags = name.startsWith('Report') ? ['network'] : ['billing-review'];
      scenarios.push(await client.scenarios.create({ name, agent: agent.id, personality, instructions, tags, project: projectId }));
    }
    chrome = await openChromium({ width: 1366, height: 768 });
    page = chrome.page;
    page.setDefaultTimeout(8_000);
  });

  afterAll(async () => {
    await chrome?.close();
    await s?.stop();
  });

  const card = (name: string) => page.getByTestId('suggestion').filter({ has: page.getByRole('heading', { name }) });
  /** Controls a screen reader could not name. */
  const unnamedControls = () =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('input, select, textarea, button')]
        .filter(
          (c) => !(c.labels?.length || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby') || (c.tagName === 'BUTTON' && c.textContent?.trim())),
        )
        .map((c) => c.outerHTML),
    );

  it('refuses a wrong key, then signs in with the right one by keyboard', async () => {
    await page.goto(`${s.url}/`);
    await page.getByLabel('API key').fill('sk_scn_wrong');
    await page.getByLabel('API key').press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(s.key);
    await page.getByLabel('API key').press('Enter');
    await page.getByLabel('Project').waitFor();
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toContain('scenarist.apiKey');
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
  });

  it('improves three chosen scenarios with progress, then applies what was accepted', async () => {
    await page.getByLabel('Project').selectOption(String(projectId));
    await page.getByLabel('Tag', { exact: true }).fill('billing-review');
    await page.getByRole('button', { name: 'Find' }).click();
    for (const sc of scenarios.slice(0, 3)) await page.getByRole('checkbox', { name: sc.name }).check();
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe('3 scenario(s) selected.');
    await page.getByLabel('Your request').fill('Add the DTMF tool and limit calls to 5 minutes. More detailed instructions');
    await page.getByRole('button', { name: 'Send' }).click();

    // Progress first: the bar moves scenario by scenario before the suggestions appear.
    await expect.poll(() => page.getByTestId('job-status').first().textContent(), { timeout: 5_000, interval: 50 }).toMatch(/Improving: [12] of 3 done/);
    await page.getByTestId('review').waitFor();
    await expect.poll(() => page.getByTestId('suggestion').count()).toBe(3);
    const refund = card('Refund for a double charge');
    await expect.poll(() => refund.locator('[data-field="max_duration"] [data-testid="diff-after"] ins').textContent()).toBe('300 s (5 min)');
    await expect.poll(() => refund.locator('[data-field="tool_ids"] [data-testid="diff-after"] ins').textContent()).toBe('DTMF');
    // Every control has a name a screen reader can say, and keyboard focus is visible.
    expect(await unnamedControls()).toEqual([]);
    await page.getByTestId('apply').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await page.getByTestId('apply').evaluate((el) => [document.activeElement === el, getComputedStyle(el).outlineStyle])).toEqual([true, 'solid']);
    // The README's picture is refreshed on request only, so an ordinary run leaves the tree clean.
    const shot = shotPath('review-page.png');
    await page.screenshot({ path: shot });
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);

    // Reject one scenario whole, and one field of another.
    await card('Cancel the contract').getByRole('button', { name: 'Reject' }).click();
    await card('Upgrade to the unlimited plan').getByLabel('Accept: Maximum call length').uncheck();
    await expect.poll(() => page.getByTestId('apply').textContent()).toBe('Apply 5 accepted change(s) to 2 scenario(s)');
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('2 scenario(s) updated');

    const [refundNow, upgradeNow, cancelNow, outageNow] = await Promise.all(scenarios.map((sc) => client.scenarios.get(sc.id)));
    expect(refundNow).toMatchObject({ revision: 2, max_duration: 300, tool_ids: expect.arrayContaining(['TOOL_DTMF']) });
    expect(upgradeNow).toMatchObject({ revision: 2, max_duration: null, tool_ids: expect.arrayContaining(['TOOL_DTMF']) });
    expect(cancelNow).toEqual(scenarios[2]);
    expect(outageNow).toEqual(scenarios[3]);
  });

  it('shows a conflict beside the current text and applies over it when asked', async () => {
    await page.getByRole('checkbox', { name: scenarios[0]!.name }).check();
    await page.getByRole('checkbox', { name: scenarios[1]!.name }).uncheck();
    await page.getByRole('checkbox', { name: scenarios[2]!.name }).uncheck();
    await page.getByLabel('Your request').fill('add tag urgent');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('suggestion').count()).toBe(1);
    // Someone edits the scenario while the suggestion waits for review.
    await client.scenarios.update(scenarios[0]!.id, { tags: ['billing-review', 'escalated'] });
    await page.getByTestId('apply').click();
    const conflict = page.getByTestId('conflict');
    await expect.poll(() => conflict.textContent()).toContain('Changed since the suggestion was made');
    await expect.poll(() => conflict.getByTestId('diff-before').textContent()).toContain('escalated');
    expect((await client.scenarios.get(scenarios[0]!.id)).tags).toEqual(['billing-review', 'escalated']);
    await conflict.getByRole('button', { name: 'Apply my accepted changes over the current version' }).click();
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('1 scenario(s) updated');
    expect(await client.scenarios.get(scenarios[0]!.id)).toMatchObject({ revision: 4, tags: ['billing-review', 'urgent'] });
  });

  it('opens a revision history and reverts a scenario from it', async () => {
    await card('Refund for a double charge').getByRole('button', { name: 'Revision history' }).click();
    const dialog = page.getByTestId('history-dialog');
    await dialog.getByText('Revision 4', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Revert to revision 1' }).click();
    await expect.poll(() => dialog.getByRole('status').textContent()).toContain('now at revision 5');
    await dialog.getByRole('button', { name: 'Close' }).click();
    const reverted = await client.scenarios.get(scenarios[0]!.id);
    expect(reverted).toMatchObject({
      revision: 5,
      instructions: scenarios[0]!.instructions,
      tool_ids: scenarios[0]!.tool_ids,
      tags: ['billing-review'],
      max_duration: null,
    });
  });

  it('cancels a slow job from the page', async () => {
    await page.getByLabel('Your request').fill('a slow request');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('cancel-job').click();
    await expect.poll(() => page.getByTestId('job-status').first().textContent()).toBe('Improving: Cancelled.');
    const [latest] = await client.sessions.list(projectId);
    expect(latest!.status).toBe('cancelled');
  });

  it('lists the conversations and reopens one with its whole history and the suggestions still to review', async () => {
    await page.getByLabel('Your request').fill('add tag follow-up');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('suggestion').count()).toBe(1);
    const sessions = await client.sessions.list(projectId);
    expect(sessions).toHaveLength(1);
    // A request of the same conversation started elsewhere, still running when the page opens it.
    const elsewhere = await client.scenarioAgent.improve({ scenarios: [scenarios[3]!.id], user_message: 'slow, from a script', session_id: sessions[0]!.id });
    await page.reload();
    await page.getByRole('button', { name: 'New conversation' }).waitFor();
    await page
      .getByTestId('sessions')
      .getByRole('link', { name: /Add the DTMF tool/ })
      .click();
    // Its progress is followed as if it had been sent from the page, Cancel included.
    await expect.poll(() => page.getByTestId('job-status').first().textContent()).toMatch(/^Improving: (working…|0 of 1 done)$/);
    await page.getByRole('progressbar').waitFor();
    await page.getByTestId('cancel-job').click();
    await expect.poll(() => page.getByTestId('job-status').first().textContent()).toBe('Improving: Cancelled.');
    expect((await client.scenarioAgent.progress(elsewhere.progress_id)).status).toBe('cancelled');
    expect(await page.getByRole('progressbar').count()).toBe(0);
    const turns = page.getByTestId('turns').locator('li');
    const detail = await client.sessions.get(sessions[0]!.id);
    await expect.poll(() => turns.count()).toBe(detail.conversation_history.length);
    await expect.poll(() => turns.first().textContent()).toContain('Add the DTMF tool and limit calls to 5 minutes');
    expect(await turns.allTextContents()).toContainEqual(expect.stringContaining('Cancelled.'));
    expect(await page.getByTestId('suggestion').count()).toBe(0);
    // Only the latest suggestions are offered again, not the ones already applied.
    await expect.poll(() => page.getByRole('button', { name: 'Review these suggestions' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Review these suggestions' }).click();
    await expect.poll(() => card('Refund for a double charge').locator('[data-field="tags"] ins').textContent()).toContain('follow-up');
  });

  it('follows a request started elsewhere to its suggestions when its conversation is opened', async () => {
    holdNext();
    const elsewhere = await client.scenarioAgent.improve({
      scenarios: [scenarios[1]!.id, scenarios[2]!.id],
      project_id: projectId,
      user_message: 'add tag held-from-the-cli',
    });
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page
      .getByTestId('sessions')
      .getByRole('link', { name: /held-from-the-cli/ })
      .click();
    await expect.poll(() => page.getByTestId('job-status').first().textContent()).toMatch(/^Improving: (working…|0 of 2 done)$/);
    await page.getByRole('progressbar').waitFor();
    held.release();
    // The wait polls less often while nothing moves, so the end may show up to two seconds late.
    await expect.poll(() => page.getByTestId('suggestion').count(), { timeout: 5_000 }).toBe(2);
    expect(await page.getByTestId('job-status').first().textContent()).toBe('Improving: Done.');
    await expect.poll(() => card('Cancel the contract').locator('[data-field="tags"] ins').textContent()).toContain('held-from-the-cli');
    expect((await client.scenarioAgent.progress(elsewhere.progress_id)).status).toBe('completed');
  });

  it('drafts new scenarios for an agent and creates only the accepted draft', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Draft new scenarios for an agent').check();
    await page.getByLabel('Agent', { exact: true }).selectOption({ label: 'Billing line' });
    await page.getByLabel('How many drafts').fill('2');
    await page.getByLabel('Your request').fill('Draft scenarios for its main tasks');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('suggestion').count()).toBe(2);
    const names = await page.getByTestId('suggestion').locator('h4').allTextContents();
    // Ids read as names: the draft's personality is shown as "Name (id)".
    const people = await client.personalities.list();
    const shownPersonality = await page.getByTestId('suggestion').first().locator('[data-field="personality"] pre').textContent();
    expect(people.map((p) => `${p.name} (${p.id})`)).toContain(shownPersonality);
    await page.getByTestId('suggestion').nth(1).getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.getByTestId('apply').textContent()).toMatch(/to 1 scenario\(s\)$/);
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('1 created');
    const all = await client.scenarios.all({ project_id: projectId });
    expect(all).toHaveLength(scenarios.length + 1);
    expect(`${all.at(-1)!.name} (new scenario)`).toBe(names[0]);
  });
  it('asks which agent scenarios without one test, continues with the answer and applies', async () => {
    const sales = await client.aiagents.create({ project: projectId, agent_name: 'Sales line', description: 'Sales line is a voice agent. It sells plans.' });
    const personality = scenarios[0]!.personality;
    const orphans: Scenario[] = [];
    for (const name of ['Walk-in asks for opening hours', 'Walk-in wants a new SIM']) {
      orphans.push(await client.scenarios.create({ name, personality, instructions: 'You walk into the shop.', tags: ['walk-in'], project: projectId }));
    }
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByLabel('Tag', { exact: true }).fill('walk-in');
    await page.getByRole('button', { name: 'Find' }).click();
    for (const o of orphans) await page.getByRole('checkbox', { name: o.name }).check();
    await page.getByLabel('Your request').fill('add tag triaged');
    await page.getByRole('button', { name: 'Send' }).click();

    const question = page.getByTestId('agent-question');
    await question.waitFor();
    expect(await unnamedControls()).toEqual([]);
    // The question waits in its conversation: opened again later, it is asked again.
    await page.getByRole('button', { name: 'New conversation' }).click();
    await question.waitFor({ state: 'detached' });
    await page
      .getByTestId('sessions')
      .getByRole('link', { name: /add tag triaged/ })
      .click();
    await question.waitFor();
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/scenarios/scenario-agent/')) sent.push(r.postDataJSON());
    });
    // One answer for all of them, then a different one for the second, by keyboard.
    await page.getByLabel('Agent for all 2 of them').selectOption({ label: 'Billing line' });
    expect(await page.getByLabel(`Agent for ${orphans[0]!.name}`).inputValue()).toBe(String(scenarios[0]!.agent));
    await page.getByLabel(`Agent for ${orphans[1]!.name}`).focus();
    await page.getByLabel(`Agent for ${orphans[1]!.name}`).selectOption({ label: 'Sales line' });
    expect(await page.getByLabel('Agent for all 2 of them').inputValue()).toBe('');
    await question.getByRole('button', { name: 'Continue' }).press('Enter');
    // The answer continues the same session with what the question held, as the wire format asks.
    const [asked] = await client.sessions.list(projectId);
    await expect
      .poll(() => sent[0])
      .toEqual({
        session_id: asked!.id,
        agent_selections: { [orphans[0]!.id]: scenarios[0]!.agent, [orphans[1]!.id]: sales.id },
        scenarios_needing_agent: orphans.map((o) => o.id),
        pending_tool_calls: [expect.objectContaining({ name: 'improve_scenarios' })],
      });

    await expect.poll(() => page.getByTestId('suggestion').count(), { timeout: 5_000 }).toBe(2);
    await expect
      .poll(() => card(orphans[1]!.name).locator('[data-field="agent"] [data-testid="diff-after"]').textContent())
      .toContain(`Sales line (${sales.id})`);
    await page.getByTestId('apply').click();
    await expect.poll(() => page.getByTestId('apply-outcome').textContent()).toContain('2 scenario(s) updated');
    const [first, second] = await Promise.all(orphans.map((o) => client.scenarios.get(o.id)));
    expect(first).toMatchObject({ agent: scenarios[0]!.agent, tags: ['walk-in', 'triaged'] });
    expect(second).toMatchObject({ agent: sales.id, tags: ['walk-in', 'triaged'] });
  });
});
