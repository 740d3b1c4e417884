import fs from 'node:fs';
import { CHROMIUM, openChromium } from '../test/helpers/chromium.js';
import { type BenchContext, type Benchmark, type Figure, figure } from './lib/figures.js';
import { runJob } from './lib/jobs.js';
import { seedScenarios } from './lib/seed.js';
import { startBenchServer } from './lib/server.js';

const RUNS = 3;
const TARGET_MS = 1_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[]) => `median of ${xs.length} runs; min ${Math.round(Math.min(...xs))} ms, max ${Math.round(Math.max(...xs))} ms`;

/**
 * The review page with a 2,000-suggestion result: the time from opening the conversation's link to
 * a review a person can act on (summary, first page of cards, live counts), and the time of
 * accept-all on one field until its counts are shown, in headless Chromium.
 */
export const reviewPage: Benchmark = {
  name: 'review-page',
  describe: '2,000 suggestions to an interactive review, and accept-all on one field, in Chromium',
  async run(ctx: BenchContext): Promise<Figure[]> {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install chromium to run this benchmark`);
    const size = ctx.quick ? 500 : 2_000;
    const server = await startBenchServer(ctx);
    const browser = await openChromium({ width: 1280, height: 900 });
    try {
      const { agentId } = await seedScenarios(server.running.store.db, server.defaultProjectId, size);
      const done = await runJob(server.api, {
        scenarios: 'all',
        agent_id: agentId,
        user_message: 'Add the DTMF tool, limit calls to 5 minutes and add tag reviewed',
      });
      if (done.result.updated_scenarios.length !== size) throw new Error(`expected ${size} suggestions, got ${done.result.updated_scenarios.length}`);
      const link = `${server.url}/#/projects/${server.defaultProjectId}/conversations/${done.session_id}`;
      const { page } = browser;
      page.setDefaultTimeout(30_000);
      // Signed in once; each run then opens the link as a reload or a shared link would.
      await page.goto(`${server.url}/`);
      await page.evaluate((key) => sessionStorage.setItem('scenarist.apiKey', key), server.key);

      const open: number[] = [];
      const accept: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        await page.goto('about:blank');
        const started = Date.now();
        await page.goto(link);
        // Interactive: the summary, the first page of cards and the counts are drawn and a click is answered.
        await page
          .getByTestId('apply-counts')
          .filter({ hasText: `in ${size.toLocaleString('en')} scenario(s)` })
          .waitFor();
        await page.getByTestId('suggestion').nth(49).waitFor();
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
        open.push(Date.now() - started);

        // Reject all on one field, then time accept-all on it until the row and the bar say so.
        await page.getByRole('button', { name: 'Reject all: Tools: add DTMF' }).click();
        await page
          .getByTestId('summary')
          .getByRole('row', { name: /^Tools: add DTMF/ })
          .getByTestId('row-accepted')
          .filter({ hasText: /^0 of / })
          .waitFor();
        accept.push(
          await page.evaluate(async (n) => {
            const button = document.querySelector<HTMLButtonElement>('button[aria-label="Accept all: Tools: add DTMF"]')!;
            const cell = button.closest('tr')!.querySelector('[data-testid="row-accepted"]')!;
            const t0 = performance.now();
            button.click();
            while (cell.textContent !== `${n} of ${n}`) await new Promise((r) => setTimeout(r, 0));
            // Until the next frame is painted with the change.
            await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
            return performance.now() - t0;
          }, size.toLocaleString('en')),
        );
      }
      const details = { suggestions: size, runs_ms: { open, accept_all: accept } };
      return [
        figure(
          {
            benchmark: `review page: ${size.toLocaleString('en')} suggestions to an interactive review`,
            figure: median(open),
            unit: 'ms',
            reference: null,
            target: `< ${TARGET_MS} ms`,
            note: spread(open),
            details,
          },
          (f) => f.figure < TARGET_MS,
        ),
        figure(
          {
            benchmark: `review page: accept-all on one field (${size.toLocaleString('en')} suggestions)`,
            figure: median(accept),
            unit: 'ms',
            reference: null,
            target: `< ${TARGET_MS} ms`,
            note: spread(accept),
            details,
          },
          (f) => f.figure < TARGET_MS,
        ),
      ];
    } finally {
      await browser.close();
      await server.stop();
    }
  },
};
