import { describe, it } from 'vitest';

/** Whether the run is CI's (CI=true, as .ci/run and most CI services set it). */
export const inCi = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/**
 * Whether a suite that needs an outside tool can run. Without the tool a local run skips the suite
 * with a warning, but a CI run fails: a skipped suite there would pass while testing nothing.
 */
export function toolAvailable(tool: string, present: boolean, install: string): boolean {
  if (present) return true;
  if (inCi) {
    describe(`${tool} (required in CI)`, () => {
      it(`is installed`, () => {
        throw new Error(`${tool} is missing and CI is set, so its suite cannot be skipped; install it with \`${install}\`.`);
      });
    });
  } else {
    console.warn(`Skipping the suites that need ${tool}: it is missing (install it with \`${install}\`).`);
  }
  return false;
}
