import { apply } from './apply.js';
import { applyInParts } from './apply-in-parts.js';
import { follow } from './follow.js';
import { jobOverhead } from './job-overhead.js';
import { keyScope } from './key-scope.js';
import type { Benchmark } from './lib/figures.js';
import { modelBound } from './model-bound.js';
import { polling } from './polling.js';
import { recovery } from './recovery.js';
import { reviewPage } from './review-page.js';
import { tokenEfficiency } from './token-efficiency.js';

/** Every benchmark, in the order the table shows them. */
export const benchmarks: Benchmark[] = [polling, follow, jobOverhead, apply, applyInParts, modelBound, tokenEfficiency, reviewPage, recovery, keyScope];
