import type { JobKind } from '../domain/jobs.js';
import { applyJob } from './kinds/apply.js';
import { clarifyJob } from './kinds/clarify.js';
import { generateJob, isGeneration } from './kinds/generate.js';
import { improveJob } from './kinds/improve.js';
import { instructionsJob } from './kinds/instructions.js';
import type { JobHandler } from './types.js';

/** Every job kind this build can run. */
export const jobHandlers: Partial<Record<JobKind, JobHandler>> = {
  improve: improveJob,
  apply: applyJob,
  clarify: (ctx) => (isGeneration(ctx.job) ? generateJob(ctx) : clarifyJob(ctx)),
  instructions: instructionsJob,
};
