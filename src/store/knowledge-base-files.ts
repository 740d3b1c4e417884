import crypto from 'node:crypto';
// The package's index runs a self-test against a bundled file when loaded; the library itself does not.
import pdfParse from 'pdf-parse/lib/pdf-parse.js';
import { PayloadTooLarge, ValidationError } from '../domain/errors.js';
import type { Db, Executor } from './db.js';
import { deleteOwned, insertOwned, listOwned, updateOwned } from './owned-rows.js';
import { getOwned, projectOfWrite } from './ownership.js';
import type { Row } from './schema.js';

export interface Upload {
  name: string;
  data: Buffer;
}

/**
 * The file types a knowledge base takes, by extension, with the MIME type stored for each: the
 * reference's (pdf, txt, json, csv, xml, md), the text ones stored as the text they are.
 */
export const KNOWLEDGE_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
};
const KNOWLEDGE_EXTENSIONS = '.txt, .md, .json, .csv, .xml or .pdf';

export function extensionOf(name: string): string {
  return /\.[^.\\/]+$/.exec(name.toLowerCase())?.[0] ?? '';
}

/** The text of an uploaded file, for use as context; rejects types, sizes and content we cannot read. */
export async function extractText(fileName: string, data: Uint8Array, limit: number): Promise<{ text: string; mime: string }> {
  const ext = extensionOf(fileName);
  const mime = KNOWLEDGE_TYPES[ext];
  if (!mime) throw ValidationError.field('file', `Unsupported file type "${ext || fileName}"; use ${KNOWLEDGE_EXTENSIONS}.`);
  if (data.length > limit) throw new PayloadTooLarge(`The file is larger than the ${limit}-byte upload limit.`);
  if (ext !== '.pdf') {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      throw ValidationError.field('file', `${fileName} is not UTF-8 text.`);
    }
    if (text.includes('\u0000')) throw ValidationError.field('file', `${fileName} looks like a binary file, not text.`);
    return { text, mime };
  }
  try {
    // pdf.js misreads object offsets in a Node Buffer; a plain Uint8Array copy is read correctly.
    const parsed = await pdfParse(new Uint8Array(data) as Buffer);
    // PostgreSQL text cannot hold NUL, and a PDF's text layer sometimes contains it.
    return { text: parsed.text.replace(/\u0000/g, '').trim(), mime };
  } catch {
    throw ValidationError.field('file', `${fileName} could not be read as a PDF.`);
  }
}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/**
 * The bytes of a JSON upload: raw base64 (standard or URL-safe) or a `data:` URI, as the
 * reference accepts. Anything else is a field error rather than silently decoded garbage.
 */
export function decodeBase64Content(content: string): Buffer | undefined {
  const m = /^data:[^,]*;base64,/i.exec(content);
  const b64 = (m ? content.slice(m[0].length) : content).replace(/\s+/g, '');
  if (!BASE64.test(b64) || b64.length % 4 === 1) return undefined;
  return Buffer.from(b64, 'base64');
}

/** The file name without any directory a browser or client put in front of it. */
export function baseName(name: string): string {
  return (name.split(/[\\/]/).pop() ?? '').trim().slice(0, 255);
}

export function listKnowledgeBaseFiles(
  db: Executor,
  organizationId: number,
  filter: { projectId?: number; agentId?: number },
  page: { offset: number; limit: number },
): Promise<{ count: number; rows: Row<'knowledge_base_files'>[] }> {
  return listOwned(db, 'knowledge_base_files', organizationId, { project_id: filter.projectId, agent_id: filter.agentId }, page);
}

export function getKnowledgeBaseFile(db: Executor, organizationId: number, id: number): Promise<Row<'knowledge_base_files'>> {
  return getOwned(db, 'knowledge_base_files', organizationId, id);
}

/** Which of `ids` name knowledge-base files of the organization. */
export async function existingKnowledgeBaseIds(db: Executor, organizationId: number, ids: number[]): Promise<Set<number>> {
  const found = ids.length
    ? await db.selectFrom('knowledge_base_files').select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
    : [];
  return new Set(found.map((f) => f.id));
}

/** An upload checked and read, ready to be stored. */
export interface ReadUpload {
  name: string;
  size: number;
  mime: string;
  text: string;
  sha256: string;
}

/** Checks and reads one upload: its name, type, size and text (a field error on `file` when it cannot be). */
export async function readUpload(u: Upload, limit: number): Promise<ReadUpload> {
  const name = baseName(u.name);
  if (!name) throw ValidationError.field('file', 'The file has no name.');
  const { text, mime } = await extractText(name, u.data, limit);
  return { name, size: u.data.length, mime, text, sha256: crypto.createHash('sha256').update(u.data).digest('hex') };
}

/** Stores uploads already read, for the owner `projectOfWrite` resolved. */
export async function insertReadUploads(
  db: Executor,
  organizationId: number,
  owner: { projectId: number | null; agentId: number | null },
  read: readonly ReadUpload[],
  now: string,
): Promise<Row<'knowledge_base_files'>[]> {
  const rows: Row<'knowledge_base_files'>[] = [];
  for (const f of read) {
    rows.push(
      await insertOwned(db, 'knowledge_base_files', {
        organization_id: organizationId,
        project_id: owner.projectId,
        agent_id: owner.agentId,
        file_name: f.name,
        file_type: f.mime,
        file_size: f.size,
        content_sha256: f.sha256,
        text: f.text,
        created_at: now,
        updated_at: now,
      }),
    );
  }
  return rows;
}

/**
 * Stores every upload with its extracted text, or none of them: each file is checked and read
 * before the first row is written.
 */
export async function createKnowledgeBaseFiles(
  db: Db,
  organizationId: number,
  owner: { agent?: number | null; project?: number | null },
  uploads: Upload[],
  limit: number,
  now: string,
): Promise<Row<'knowledge_base_files'>[]> {
  const resolved = await projectOfWrite(db, organizationId, owner, true);
  const read: ReadUpload[] = [];
  for (const u of uploads) read.push(await readUpload(u, limit));
  return db.transaction().execute((tx) => insertReadUploads(tx, organizationId, resolved, read, now));
}

export interface KnowledgeBaseFilePatch {
  agent?: number | null;
  project?: number | null;
  file_name?: string;
}

/** Renames or reattaches a file; its content is fixed at upload (upload a new file to change it). */
export async function updateKnowledgeBaseFile(
  db: Executor,
  organizationId: number,
  id: number,
  patch: KnowledgeBaseFilePatch,
  now: string,
): Promise<Row<'knowledge_base_files'>> {
  const current = await getKnowledgeBaseFile(db, organizationId, id);
  let refs: { projectId: number | null; agentId: number | null } | null = null;
  if (patch.project !== undefined || patch.agent !== undefined) {
    const agent = patch.agent === undefined ? current.agent_id : patch.agent;
    const project = patch.project !== undefined ? patch.project : patch.agent != null ? null : current.project_id;
    refs = await projectOfWrite(db, organizationId, { project, agent }, true);
  }
  let fileName: string | undefined;
  if (patch.file_name !== undefined) {
    fileName = baseName(patch.file_name);
    // The type was decided by the content that was read; a new extension would misdescribe it.
    if (!fileName || KNOWLEDGE_TYPES[extensionOf(fileName)] !== current.file_type) {
      throw ValidationError.field('file_name', `Keep the file's extension (${extensionOf(current.file_name) || 'none'}).`);
    }
  }
  return updateOwned(db, 'knowledge_base_files', organizationId, id, {
    ...(fileName !== undefined ? { file_name: fileName } : {}),
    ...(refs ? { project_id: refs.projectId, agent_id: refs.agentId } : {}),
    updated_at: now,
  });
}

export function deleteKnowledgeBaseFile(db: Executor, organizationId: number, id: number): Promise<void> {
  return deleteOwned(db, 'knowledge_base_files', organizationId, id);
}
