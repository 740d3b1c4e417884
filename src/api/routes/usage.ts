import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idInText } from '../../domain/storable.js';
import { MONTH } from '../../domain/usage-month.js';
import { projectUsage } from '../../services/usage.js';
import type { AppDeps } from '../deps.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses } from '../schemas.js';

const Tokens = {
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cached_input_tokens: z.number().int().describe("Part of input_tokens read from the provider's prompt cache"),
  model_calls: z.number().int(),
};

export const UsageReport = z.object({
  project: z.number().int(),
  month: z.string().describe('YYYY-MM (UTC)'),
  monthly_budget: z.number().nullable().describe("The project's budget in USD; null: none"),
  remaining: z.number().nullable(),
  job_count: z.number().int(),
  ...Tokens,
  cost_usd: z.number().describe('At the prices configured when each job ended; jobs of a model without a price count 0'),
  jobs: z.array(
    z.object({
      progress_id: z.string(),
      kind: z.string(),
      status: z.string(),
      created_at: z.string(),
      model: z.string().nullable(),
      ...Tokens,
      cost_usd: z.number().nullable(),
    }),
  ),
});

/** Model usage and cost per project and month. */
export const usageRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/usage/',
      {
        schema: {
          tags: ['usage'],
          description: "A project's model usage (input, output and cached input tokens, calls) and cost for one month, job by job, beside its monthly budget.",
          querystring: z.object({
            project_id: idInText(),
            month: z.string().regex(MONTH, 'must be YYYY-MM').optional().describe('Default: the current month (UTC)'),
          }),
          response: { 200: UsageReport, ...errorResponses },
        },
      },
      async (req) => {
        const month = req.query.month ?? deps.clock().toISOString().slice(0, 7);
        return projectUsage(deps.store.db, callerOf(req).organizationId, req.query.project_id, month);
      },
    );
  };
