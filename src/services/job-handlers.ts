import { isGeneration } from '../domain/generation.js';
import type { JobKind } from '../domain/jobs.js';
import { clarifyJob } from '../jobs/kinds/clarify.js';
import { generateJob } from '../jobs/kinds/generate.js';
import { instructionsJob } from '../jobs/kinds/instructions.js';
import type { JobHandler } from '../jobs/types.js';
import { applyJob } from './apply.js';
import { improveAndApplyJob } from './improve-and-apply.js';

/**
 * Every job kind this build can run. Apply is a use-case that runs inside a job, so its handler
 * lives with the use-cases and the runner is handed this table: jobs/ never imports services/.
 */
export const jobHandlers: Partial<Record<JobKind, JobHandler>> = {
  improve: improveAndApplyJob,
  apply: applyJob,
  clarify: (ctx) => (isGeneration(ctx.job) ? generateJob(ctx) : clarifyJob(ctx)),
  instructions: instructionsJob,
};
