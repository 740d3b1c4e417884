import type { Command } from 'commander';
import type { Scenario, ScenaristClient } from '../client/index.js';

/** How a command picks scenarios, as the review page does: by agent, tag, folder and name or text. */
export interface SelectionOptions {
  tag: string[];
  folder?: string;
  name?: string;
  search?: string;
}

const repeat = (value: string, all: string[]) => [
  ...all,
  ...value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean),
];

export function withSelection(cmd: Command, opts: { search?: boolean } = {}): Command {
  cmd
    .option('--tag <tag>', 'scenarios with this tag; repeat (or comma-separate) for any of several', repeat, [] as string[])
    .option('--folder <path>', 'scenarios in this folder (e.g. Billing.Refunds; "" for those in no folder)')
    .option('--name <text>', 'scenarios whose name contains this text (case-insensitive)');
  if (opts.search) cmd.option('--search <text>', 'scenarios whose name or texts contain this');
  return cmd;
}

export const selects = (o: SelectionOptions) => o.tag.length > 0 || o.folder !== undefined || o.name !== undefined || o.search !== undefined;

/** The scenarios of a project (or agent) that match, in id order. */
export async function selectScenarios(client: ScenaristClient, where: { projectId?: number; agentId?: number }, o: SelectionOptions): Promise<Scenario[]> {
  const found = await client.scenarios.all({
    project_id: where.projectId,
    agent_id: where.agentId,
    tags: o.tag.length ? o.tag.join(',') : undefined,
    folder_path: o.folder,
    search: o.search ?? o.name,
  });
  const name = o.name?.toLowerCase();
  return found.filter((s) => !name || s.name.toLowerCase().includes(name)).sort((a, b) => a.id - b.id);
}
