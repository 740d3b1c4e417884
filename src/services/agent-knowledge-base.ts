import { getAgent } from '../store/aiagents.js';
import { deleteKnowledgeBaseFile, listKnowledgeBaseFiles } from '../store/knowledge-base-files.js';
import type { Caller, ServiceContext } from './context.js';

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
