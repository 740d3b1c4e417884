import { ValidationError } from '../domain/errors.js';
import { type AgentInput, type AgentRecord, createAgent, getAgent, updateAgent } from '../store/aiagents.js';
import type { Executor } from '../store/db.js';
import { deleteKnowledgeBaseFile, insertReadUploads, listKnowledgeBaseFiles, type ReadUpload, readUpload, type Upload } from '../store/knowledge-base-files.js';
import { type Caller, nowOf, type ServiceContext } from './context.js';

/**
 * Deletes an agent's knowledge-base files named in `fileIds`, or all of them when none are named,
 * in one transaction; answers how many were deleted.
 */
export async function deleteAgentKnowledgeBase(ctx: ServiceContext, caller: Caller, agentId: number, fileIds: ReadonlySet<number> | null): Promise<number> {
  const { db } = ctx.store;
  const { organizationId } = caller;
  await getAgent(db, organizationId, agentId);
  const { rows } = await listKnowledgeBaseFiles(db, organizationId, { agentId }, { offset: 0, limit: 100_000 });
  const victims = rows.filter((r) => !fileIds || fileIds.has(r.id));
  await db.transaction().execute(async (tx) => {
    for (const r of victims) await deleteKnowledgeBaseFile(tx, organizationId, r.id);
  });
  return victims.length;
}

/**
 * The whole set of files an agent should have, as the reference's v2 agent write gives it
 * (`knowledge_base_files`): the existing files it keeps, by id, and new ones. Each new file carries
 * its place in the list, so a problem with it names the item.
 */
export interface AgentFileSet {
  keep: number[];
  uploads: Array<Upload & { index: number }>;
}

const FIELD = 'knowledge_base_files';

/** Every new file checked and read before anything is written; a problem names its item. */
async function readAll(ctx: ServiceContext, files: AgentFileSet): Promise<ReadUpload[]> {
  const read: ReadUpload[] = [];
  const errors: string[] = [];
  for (const u of files.uploads) {
    try {
      read.push(await readUpload(u, ctx.config.uploadLimit));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      errors.push(...Object.values(e.fields).flatMap((messages) => messages.map((m) => `${u.index}: ${m}`)));
    }
  }
  if (errors.length) throw new ValidationError({ [FIELD]: errors });
  return read;
}

/** Makes the agent's files the set given: the kept ones stay, the others go, the new ones are stored. */
async function setAgentFiles(tx: Executor, organizationId: number, agent: AgentRecord, keep: readonly number[], read: ReadUpload[], now: string) {
  const own = new Set(agent.knowledgeBaseFiles.map((f) => f.id));
  const unknown = [...new Set(keep)].filter((id) => !own.has(id));
  if (unknown.length) throw new ValidationError({ [FIELD]: unknown.map((id) => `Invalid pk "${id}" - no file of this agent.`) });
  const kept = new Set(keep);
  for (const f of agent.knowledgeBaseFiles) if (!kept.has(f.id)) await deleteKnowledgeBaseFile(tx, organizationId, f.id);
  await insertReadUploads(tx, organizationId, { projectId: agent.project_id, agentId: agent.id }, read, now);
}

/** Creates an agent, with its knowledge-base files when the write names them: all of it, or nothing. */
export async function createAgentWithFiles(ctx: ServiceContext, caller: Caller, input: AgentInput, files: AgentFileSet | undefined): Promise<AgentRecord> {
  const read = files ? await readAll(ctx, files) : [];
  const now = nowOf(ctx);
  return ctx.store.db.transaction().execute(async (tx) => {
    const agent = await createAgent(tx, caller.organizationId, input, now);
    if (!files) return agent;
    await setAgentFiles(tx, caller.organizationId, agent, files.keep, read, now);
    return getAgent(tx, caller.organizationId, agent.id);
  });
}

/** Updates an agent and, when the write names them, makes its knowledge-base files the set given: all of it, or nothing. */
export async function updateAgentWithFiles(
  ctx: ServiceContext,
  caller: Caller,
  id: number,
  patch: Partial<AgentInput>,
  files: AgentFileSet | undefined,
): Promise<AgentRecord> {
  const read = files ? await readAll(ctx, files) : [];
  const now = nowOf(ctx);
  return ctx.store.db.transaction().execute(async (tx) => {
    const agent = await updateAgent(tx, caller.organizationId, id, patch, now);
    if (!files) return agent;
    await setAgentFiles(tx, caller.organizationId, agent, files.keep, read, now);
    return getAgent(tx, caller.organizationId, id);
  });
}
