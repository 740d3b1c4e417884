import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KnowledgeBaseFile, ScenaristClient } from '../client/index.js';
import { CliExit, EXIT } from './exit-codes.js';

export interface KbUpload {
  file: KnowledgeBaseFile;
  /** False when a file with the same bytes was already there and nothing was uploaded. */
  uploaded: boolean;
}

/**
 * Uploads files to an agent's (or a project's) knowledge base, skipping each one whose bytes are
 * already there (by SHA-256), so running the same command again uploads nothing twice.
 */
export async function uploadDeduplicated(client: ScenaristClient, owner: { agent?: number; project?: number }, files: string[]): Promise<KbUpload[]> {
  if (!files.length) return [];
  const read = await Promise.all(
    files.map(async (file) => {
      try {
        const content = new Uint8Array(await fs.readFile(file));
        return { name: path.basename(file), content, sha256: crypto.createHash('sha256').update(content).digest('hex') };
      } catch (e) {
        throw new CliExit(EXIT.usage, `Cannot read knowledge-base file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }),
  );
  const have = new Map<string, KnowledgeBaseFile>();
  for await (const f of client.paginate<KnowledgeBaseFile>('knowledge-base-files/', owner.agent ? { agent_id: owner.agent } : { project_id: owner.project })) {
    if (f.content_sha256 && (owner.agent ? f.agent === owner.agent : f.project === owner.project && f.agent === null)) have.set(f.content_sha256, f);
  }
  const fresh = [...new Map(read.filter((r) => !have.has(r.sha256)).map((r) => [r.sha256, r])).values()];
  const made = fresh.length ? await client.knowledgeBaseFiles.upload(owner, fresh) : [];
  for (const [i, f] of made.entries()) have.set(fresh[i]!.sha256, f);
  const freshHashes = new Set(fresh.map((r) => r.sha256));
  const seen = new Set<string>();
  return read.flatMap((r) => {
    if (seen.has(r.sha256)) return [];
    seen.add(r.sha256);
    return [{ file: have.get(r.sha256)!, uploaded: freshHashes.has(r.sha256) }];
  });
}
