import { PREDEFINED_TOOLS } from '../domain/tools.js';
import type { Executor } from './db.js';
import { folderPaths } from './folders.js';

/** What an engine may know about a project beyond the scenarios it is given. */
export interface ProjectFacts {
  agent: { id: number; name: string; description: string; language: string } | null;
  agents: Array<{ id: number; agent_name: string }>;
  /** Every agent of the project with its description, so each batch can be told about the agents of its scenarios. */
  agentProfiles: Array<{ id: number; name: string; description: string; language: string }>;
  personalities: Array<{ id: number; name: string; language: string; description: string }>;
  folders: string[];
  tools: Array<{ id: string; name: string; description: string }>;
  knowledgeBase: Array<{ id: number; file_name: string; text: string; agent_id?: number | null }>;
  /** The agent's existing scenarios, by name with a one-line summary, so drafts never repeat them. */
  existingScenarios?: Array<{ name: string; summary: string }>;
}

const SUMMARY_CHARS = 160;

/** A scenario in one line: the first sentence of what the caller does, else of what the agent should achieve. */
function summaryOf(instructions: string, outcome: string): string {
  const text = (instructions.trim() || outcome.trim()).replace(/\s+/g, ' ');
  const first = /^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;
  return first.length > SUMMARY_CHARS ? `${first.slice(0, SUMMARY_CHARS - 1)}…` : first;
}

export async function loadProjectFacts(
  db: Executor,
  organizationId: number,
  projectId: number,
  opts: {
    agentId?: number | null;
    knowledgeBaseIds?: number[];
    /** Also the knowledge base of these agents (the agents of an improve job's scenarios). */
    knowledgeOfAgents?: number[];
    /** Also the agent's existing scenarios (for drafting new ones). */
    withScenarios?: boolean;
  } = {},
): Promise<ProjectFacts> {
  const [agents, personalities, folders, ownTools] = await Promise.all([
    db
      .selectFrom('aiagents')
      .select(['id', 'agent_name', 'description', 'language'])
      .where('organization_id', '=', organizationId)
      .where('project_id', '=', projectId)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('personalities')
      .select(['id', 'name', 'language', 'description'])
      .where('organization_id', '=', organizationId)
      .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
      .orderBy('id')
      .execute(),
    folderPaths(db, organizationId, projectId),
    db.selectFrom('tools').select(['tool_id', 'name', 'description']).where('organization_id', '=', organizationId).orderBy('id').execute(),
  ]);
  const agent = opts.agentId ? agents.find((a) => a.id === opts.agentId) : undefined;
  // The agent's own files are its knowledge base; files named in the request are added to them.
  let kb = db.selectFrom('knowledge_base_files').select(['id', 'file_name', 'text', 'agent_id']).where('organization_id', '=', organizationId);
  const ids = opts.knowledgeBaseIds ?? [];
  const ofAgents = [...new Set([...(agent ? [agent.id] : []), ...(opts.knowledgeOfAgents ?? []).filter((id) => agents.some((a) => a.id === id))])];
  kb = kb.where((eb) => {
    const or = [];
    if (ids.length) or.push(eb('id', 'in', ids));
    if (ofAgents.length) or.push(eb('agent_id', 'in', ofAgents));
    return or.length ? eb.or(or) : eb('id', '=', -1);
  });
  const knowledgeBase = ids.length || ofAgents.length ? await kb.orderBy('id').execute() : [];
  const existing =
    opts.withScenarios && agent
      ? await db
          .selectFrom('scenarios')
          .select(['name', 'instructions', 'expected_outcome_prompt'])
          .where('organization_id', '=', organizationId)
          .where('agent_id', '=', agent.id)
          .orderBy('id')
          .limit(500)
          .execute()
      : undefined;
  return {
    agent: agent ? { id: agent.id, name: agent.agent_name, description: agent.description, language: agent.language } : null,
    agents: agents.map((a) => ({ id: a.id, agent_name: a.agent_name })),
    agentProfiles: agents.map((a) => ({ id: a.id, name: a.agent_name, description: a.description, language: a.language })),
    personalities,
    folders,
    tools: [
      ...PREDEFINED_TOOLS.map((t) => ({ id: t.id as string, name: t.name as string, description: t.description as string })),
      ...ownTools.map((t) => ({ id: t.tool_id, name: t.name, description: t.description })),
    ],
    knowledgeBase,
    ...(existing ? { existingScenarios: existing.map((s) => ({ name: s.name, summary: summaryOf(s.instructions, s.expected_outcome_prompt) })) } : {}),
  };
}
