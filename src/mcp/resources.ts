import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ApiError, type ScenaristClient } from '../client/index.js';

const URI = /^scenarist:\/\/projects\/(\d{1,10})\/scenarios$/;
const uriOf = (projectId: number) => `scenarist://projects/${projectId}/scenarios`;

/** For assistants that read resources: one per project, listing its scenarios. */
export const projectScenariosResource = {
  template: {
    uriTemplate: 'scenarist://projects/{project_id}/scenarios',
    name: 'project-scenarios',
    title: "A project's scenarios",
    description: 'Every scenario of a project: id, name, agent, tags, folder and instructions.',
    mimeType: 'application/json',
  },
  async list(client: ScenaristClient) {
    const projects = await client.projects.list();
    return projects.map((p) => ({ uri: uriOf(p.id), name: `scenarios-${p.id}`, title: `Scenarios of ${p.name}`, mimeType: 'application/json' }));
  },
};

export async function readProjectScenarios(client: ScenaristClient, uri: string) {
  const match = URI.exec(uri);
  if (!match) throw new McpError(ErrorCode.InvalidParams, `Unknown resource "${uri}"; use scenarist://projects/{project_id}/scenarios.`);
  const projectId = Number(match[1]);
  try {
    const scenarios = await client.scenarios.all({ project_id: projectId });
    const rows = scenarios.map((s) => ({ id: s.id, name: s.name, agent: s.agent, tags: s.tags, folder_path: s.folder_path, instructions: s.instructions }));
    return [{ uri, mimeType: 'application/json', text: JSON.stringify(rows, null, 2) }];
  } catch (e) {
    if (e instanceof ApiError) throw new McpError(ErrorCode.InvalidParams, e.message);
    throw e;
  }
}
