import { ValidationError } from '../domain/errors.js';
import type { Executor } from './db.js';
import { deleteOwned, insertOwned, mergeDocumented, updateOwned } from './owned-rows.js';
import { getOwned, projectOfWrite } from './ownership.js';
import type { Row } from './schema.js';
import { containsText } from './text-search.js';

/** An agent under test: what a scenario is written against. */
export interface AgentInput {
  project: number;
  agent_name: string;
  description?: string;
  language?: string;
  inbound?: boolean;
  assistant_id?: string | null;
  /** Documented fields kept without behaviour; merged into what is kept on update. */
  documented?: Record<string, unknown>;
}

/** A knowledge-base file as an agent lists it: everything but its text. */
export type AgentFile = Pick<Row<'knowledge_base_files'>, 'id' | 'agent_id' | 'file_name' | 'file_type' | 'file_size' | 'created_at' | 'updated_at'>;

export interface AgentRecord extends Row<'aiagents'> {
  /** The knowledge-base files attached to the agent, oldest first. */
  knowledgeBaseFiles: AgentFile[];
}

async function withFiles(db: Executor, rows: Row<'aiagents'>[]): Promise<AgentRecord[]> {
  const files = rows.length
    ? await db
        .selectFrom('knowledge_base_files')
        .select(['id', 'agent_id', 'file_name', 'file_type', 'file_size', 'created_at', 'updated_at'])
        .where(
          'agent_id',
          'in',
          rows.map((r) => r.id),
        )
        .orderBy('id')
        .execute()
    : [];
  return rows.map((r) => ({ ...r, knowledgeBaseFiles: files.filter((f) => f.agent_id === r.id) }));
}

/** One page of the organization's agents, optionally of one project and containing `q` in the name. */
export async function listAgents(
  db: Executor,
  organizationId: number,
  filter: { projectId?: number; q?: string },
  page: { offset: number; limit: number },
): Promise<{ count: number; rows: AgentRecord[] }> {
  let query = db.selectFrom('aiagents').where('organization_id', '=', organizationId);
  if (filter.projectId !== undefined) query = query.where('project_id', '=', filter.projectId);
  if (filter.q) query = query.where(containsText('agent_name', filter.q));
  const { n } = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query.selectAll().orderBy('id').offset(page.offset).limit(page.limit).execute();
  return { count: Number(n), rows: await withFiles(db, rows) };
}

/** The few columns a job request needs of an agent, or undefined when it is not the organization's. */
export function findAgentSummary(
  db: Executor,
  organizationId: number,
  id: number,
): Promise<Pick<Row<'aiagents'>, 'id' | 'project_id' | 'agent_name' | 'language'> | undefined> {
  return db
    .selectFrom('aiagents')
    .select(['id', 'project_id', 'agent_name', 'language'])
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The id of the organization's agent with this assistant id (the reference's external name for it). */
export async function agentIdByAssistantId(db: Executor, organizationId: number, assistantId: string): Promise<number | undefined> {
  return (await db.selectFrom('aiagents').select('id').where('organization_id', '=', organizationId).where('assistant_id', '=', assistantId).executeTakeFirst())
    ?.id;
}

/** Every agent of a project by id and name, for choosing one by either. */
export function agentNamesOfProject(db: Executor, organizationId: number, projectId: number): Promise<Array<Pick<Row<'aiagents'>, 'id' | 'agent_name'>>> {
  return db.selectFrom('aiagents').select(['id', 'agent_name']).where('organization_id', '=', organizationId).where('project_id', '=', projectId).execute();
}

export async function getAgent(db: Executor, organizationId: number, id: number): Promise<AgentRecord> {
  return (await withFiles(db, [await getOwned(db, 'aiagents', organizationId, id)]))[0]!;
}

export async function createAgent(db: Executor, organizationId: number, input: AgentInput, now: string): Promise<AgentRecord> {
  await projectOfWrite(db, organizationId, { project: input.project }, true);
  const row = await insertOwned(db, 'aiagents', {
    organization_id: organizationId,
    project_id: input.project,
    agent_name: input.agent_name,
    description: input.description ?? '',
    language: input.language ?? 'en',
    inbound: input.inbound === false ? 0 : 1,
    assistant_id: input.assistant_id ?? null,
    documented: JSON.stringify(input.documented ?? {}),
    created_at: now,
    updated_at: now,
  });
  return { ...row, knowledgeBaseFiles: [] };
}

export async function updateAgent(db: Executor, organizationId: number, id: number, patch: Partial<AgentInput>, now: string): Promise<AgentRecord> {
  const current = await getOwned(db, 'aiagents', organizationId, id);
  // Scenarios, files and profiles hang off the agent within its project; moving it would split them.
  if (patch.project !== undefined && patch.project !== current.project_id) {
    throw ValidationError.field('project', 'An agent cannot move to another project.');
  }
  await updateOwned(db, 'aiagents', organizationId, id, {
    ...(patch.agent_name !== undefined ? { agent_name: patch.agent_name } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.language !== undefined ? { language: patch.language } : {}),
    ...(patch.inbound !== undefined ? { inbound: patch.inbound ? 1 : 0 } : {}),
    ...(patch.assistant_id !== undefined ? { assistant_id: patch.assistant_id } : {}),
    ...(patch.documented ? { documented: mergeDocumented(current.documented, patch.documented) } : {}),
    updated_at: now,
  });
  return getAgent(db, organizationId, id);
}

/** Deletes the agent with its files and test profiles; its scenarios and metrics stay, without an agent. */
export function deleteAgent(db: Executor, organizationId: number, id: number): Promise<void> {
  return deleteOwned(db, 'aiagents', organizationId, id);
}
