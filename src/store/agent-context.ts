import { PREDEFINED_TOOLS } from '../domain/tools.js';
import type { Executor } from './db.js';
import { folderPaths } from './folders.js';

/** What an engine may know about a project beyond the scenarios it is given. */
export interface ProjectFacts {
  agent: { id: number; name: string; description: string; language: string } | null;
  agents: Array<{ id: number; agent_name: string }>;
  personalities: Array<{ id: number; name: string; language: string; description: string }>;
  folders: string[];
  tools: Array<{ id: string; name: string }>;
  knowledgeBase: Array<{ id: number; file_name: string; text: string }>;
}

export async function loadProjectFacts(
  db: Executor,
  organizationId: number,
  projectId: number,
  opts: { agentId?: number | null; knowledgeBaseIds?: number[] } = {},
): Promise<ProjectFacts> {
  const [agents, personalities, folders, ownTools] = await Promise.all([
    db.selectFrom('aiagents').select(['id', 'agent_name', 'description', 'language']).where('organization_id', '=', organizationId).where('project_id', '=', projectId).orderBy('id').execute(),
    db
      .selectFrom('personalities')
      .select(['id', 'name', 'language', 'description'])
      .where('organization_id', '=', organizationId)
      .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
      .orderBy('id')
      .execute(),
    folderPaths(db, organizationId, projectId),
    db.selectFrom('tools').select(['tool_id', 'name']).where('organization_id', '=', organizationId).orderBy('id').execute(),
  ]);
  const agent = opts.agentId ? agents.find((a) => a.id === opts.agentId) : undefined;
  // The agent's own files are its knowledge base; files named in the request are added to them.
  let kb = db.selectFrom('knowledge_base_files').select(['id', 'file_name', 'text']).where('organization_id', '=', organizationId);
  const ids = opts.knowledgeBaseIds ?? [];
  kb = kb.where((eb) => {
    const or = [];
    if (ids.length) or.push(eb('id', 'in', ids));
    if (agent) or.push(eb('agent_id', '=', agent.id));
    return or.length ? eb.or(or) : eb('id', '=', -1);
  });
  const knowledgeBase = ids.length || agent ? await kb.orderBy('id').execute() : [];
  return {
    agent: agent ? { id: agent.id, name: agent.agent_name, description: agent.description, language: agent.language } : null,
    agents: agents.map((a) => ({ id: a.id, agent_name: a.agent_name })),
    personalities,
    folders,
    tools: [...PREDEFINED_TOOLS.map((t) => ({ id: t.id as string, name: t.name as string })), ...ownTools.map((t) => ({ id: t.tool_id, name: t.name }))],
    knowledgeBase,
  };
}
