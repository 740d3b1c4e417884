import { addUsage, emptyUsage, type TokenUsage } from '../domain/jobs.js';
import { monthRange } from '../domain/usage-month.js';
import type { Db } from '../store/db.js';
import { getProject } from '../store/projects.js';
import { projectJobUsage } from '../store/usage.js';

type Stored = Partial<TokenUsage> & { cost_usd?: number | null; model?: string };

/** What a project's jobs of one month used and cost, job by job and in total, beside its monthly budget. */
export async function projectUsage(db: Db, organizationId: number, projectId: number, month: string) {
  const project = await getProject(db, organizationId, projectId);
  const { from, to } = monthRange(month);
  const rows = await projectJobUsage(db, organizationId, projectId, from, to);
  let total = emptyUsage();
  let cost = 0;
  const jobs = rows.map((r) => {
    const u = JSON.parse(r.usage) as Stored;
    const usage = addUsage(emptyUsage(), u);
    total = addUsage(total, usage);
    cost += u.cost_usd ?? 0;
    return {
      progress_id: r.progress_id,
      kind: r.kind,
      status: r.status,
      created_at: r.created_at,
      model: u.model ?? null,
      ...usage,
      cost_usd: u.cost_usd ?? null,
    };
  });
  const spent = Math.round(cost * 1e6) / 1e6;
  return {
    project: project.id,
    month,
    monthly_budget: project.monthly_budget,
    remaining: project.monthly_budget === null ? null : Math.round((project.monthly_budget - spent) * 1e6) / 1e6,
    job_count: jobs.length,
    ...total,
    cost_usd: spent,
    jobs,
  };
}
