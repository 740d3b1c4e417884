import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { toolAvailable } from './required-tool.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Whether the browser tests can run; under CI a missing Chromium fails them instead of skipping. */
export const hasChromium = toolAvailable(CHROMIUM, fs.existsSync(CHROMIUM), 'apt-get install -y chromium');

/** Headless Chromium with a profile of its own, one page open; close() takes the profile with it. */
export async function openChromium(viewport: { width: number; height: number }): Promise<{ browser: BrowserContext; page: Page; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    viewport,
    // Without the background-networking flags Chromium keeps dialing out, which this network refuses.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  return {
    browser,
    page,
    async close() {
      await browser.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Where a test's screenshot goes: docs/ when asked (UPDATE_SCREENSHOT=1), a temporary folder otherwise, so an ordinary run leaves the tree clean. */
export const shotPath = (name: string): string => (process.env.UPDATE_SCREENSHOT ? path.join('docs', name) : path.join(os.tmpdir(), `scenarist-${name}`));
