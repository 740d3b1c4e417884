import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { FieldErrorCollector, PayloadTooLarge, ValidationError } from '../../domain/errors.js';
import {
  createKnowledgeBaseFiles,
  decodeBase64Content,
  deleteKnowledgeBaseFile,
  getKnowledgeBaseFile,
  listKnowledgeBaseFiles,
  type Upload,
  updateKnowledgeBaseFile,
} from '../../store/knowledge-base-files.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { fieldErrorsFromIssues } from '../plugins/errors.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

export const KbFile = z.object({
  id: z.number().int(),
  agent: z.number().int().nullable(),
  project: z.number().int().nullable(),
  file_name: z.string(),
  file_type: z.string().describe('MIME type'),
  file_size: z.number().int().describe('Bytes uploaded'),
  content_sha256: z
    .string()
    .nullable()
    .describe('Hex SHA-256 of the uploaded bytes (null for files uploaded before it was kept), to tell whether a file is already uploaded'),
  text_length: z.number().int().describe('Characters of extracted text'),
  created_at: isoTime(),
  updated_at: isoTime(),
});
export const KbFileDetail = KbFile.extend({ text: z.string().describe('The extracted text') });

const RefId = z.number().int().positive().max(2_147_483_647);
export const JsonUpload = z.strictObject({
  agent: RefId.optional(),
  project: RefId.optional(),
  files: z
    .array(z.strictObject({ name: z.string().min(1).max(255), content_base64: z.string().min(1).describe('Raw base64 or a data: URI') }))
    .min(1)
    .max(20),
});
export const FilePatch = z.strictObject({
  agent: RefId.nullable().optional(),
  project: RefId.nullable().optional(),
  file_name: z.string().trim().min(1).max(255).optional(),
});

const MULTIPART_FIELDS = new Set(['agent', 'project']);

export const toFile = (r: Row<'knowledge_base_files'>): z.infer<typeof KbFile> => ({
  id: r.id,
  agent: r.agent_id,
  project: r.project_id,
  file_name: r.file_name,
  file_type: r.file_type,
  file_size: r.file_size,
  content_sha256: r.content_sha256,
  text_length: r.text.length,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

type Owner = { agent?: number; project?: number };

/** The file and owner fields of a multipart upload; each file is buffered up to the upload limit. */
export async function readMultipart(
  req: FastifyRequest,
  limit: number,
  accept: { fileFields: string[]; files: number } = { fileFields: ['file'], files: 1 },
): Promise<{ owner: Owner; uploads: Upload[] }> {
  const fields: Record<string, string> = {};
  const uploads: Upload[] = [];
  const errors = new FieldErrorCollector();
  try {
    for await (const part of req.parts({ limits: { fileSize: limit, files: accept.files, fields: 10, fieldSize: 1000, parts: accept.files + 11 } })) {
      if (part.type === 'file') {
        if (!accept.fileFields.includes(part.fieldname))
          errors.add(part.fieldname, `Unknown field "${part.fieldname}"; send the file as "${accept.fileFields[0]}".`);
        const data = await part.toBuffer();
        if (part.file.truncated) throw new PayloadTooLarge();
        uploads.push({ name: part.filename || '', data });
      } else if (MULTIPART_FIELDS.has(part.fieldname)) fields[part.fieldname] = String(part.value);
      else errors.add(part.fieldname, `Unknown field "${part.fieldname}".`);
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof PayloadTooLarge || code === 'FST_REQ_FILE_TOO_LARGE') throw new PayloadTooLarge(`The file is larger than the ${limit}-byte upload limit.`);
    if (code === 'FST_FILES_LIMIT')
      throw ValidationError.field(accept.fileFields[0]!, `Send at most ${accept.files} file(s) per request, or use the JSON form for several.`);
    // Anything else that stops the body being read is the body's fault: truncated parts, bad boundaries.
    throw ValidationError.field('file', 'The multipart body could not be read.');
  }
  const owner: Owner = {};
  for (const f of ['agent', 'project'] as const) {
    if (fields[f] === undefined || fields[f] === '') continue;
    const parsed = RefId.safeParse(/^\d{1,10}$/.test(fields[f]!) ? Number(fields[f]) : NaN);
    if (parsed.success) owner[f] = parsed.data;
    else errors.add(f, 'A valid integer is required.');
  }
  if (!uploads.length) errors.add('file', 'No file was submitted.');
  errors.throwIfAny();
  return { owner, uploads };
}

export function readJson(body: unknown): { owner: Owner; uploads: Upload[] } {
  const parsed = JsonUpload.safeParse(body ?? {});
  if (!parsed.success) throw new ValidationError(fieldErrorsFromIssues(parsed.error.issues));
  const errors = new FieldErrorCollector();
  const uploads: Upload[] = [];
  parsed.data.files.forEach((f, i) => {
    const data = decodeBase64Content(f.content_base64);
    if (data) uploads.push({ name: f.name, data });
    else errors.add('files', `${i}.content_base64: not valid base64 or a base64 data: URI.`);
  });
  errors.throwIfAny();
  return { owner: { agent: parsed.data.agent, project: parsed.data.project }, uploads };
}

export const knowledgeBaseFileRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['knowledge base files'];
    const limit = deps.config.uploadLimit;

    app.get(
      '/knowledge-base-files/',
      {
        schema: {
          tags,
          querystring: PageQuery.extend({ project_id: optionalIdQuery(), agent_id: optionalIdQuery() }),
          response: { 200: paginated(KbFile), ...errorResponses },
        },
      },
      async (req) => {
        const { page, page_size, project_id, agent_id } = req.query;
        const { count, rows } = await listKnowledgeBaseFiles(
          db,
          callerOf(req).organizationId,
          { projectId: project_id, agentId: agent_id },
          { offset: (page - 1) * page_size, limit: page_size },
        );
        return pageOf(req, req.query, count, rows.map(toFile));
      },
    );

    app.post(
      '/knowledge-base-files/',
      {
        // Base64 in JSON is a third larger than the file it carries.
        bodyLimit: Math.max(deps.config.bodyLimit, Math.ceil(limit * 1.4) + 10_000),
        config: { rawMultipart: true },
        schema: {
          tags,
          description:
            'Upload a .txt, .md, .json, .csv, .xml or .pdf file as multipart/form-data (`file`, plus `agent` and/or `project`), or as JSON `{agent|project, files: [{name, content_base64}]}`. The project is inferred from the agent. Answers the stored files.',
          response: { 201: z.array(KbFile), ...errorResponses },
        },
      },
      async (req, reply) => {
        const { owner, uploads } = req.isMultipart() ? await readMultipart(req, limit) : readJson(req.body);
        const rows = await createKnowledgeBaseFiles(db, callerOf(req).organizationId, owner, uploads, limit, isoNow(deps.clock));
        return reply.code(201).send(rows.map(toFile));
      },
    );

    app.get('/knowledge-base-files/:id/', { schema: { tags, params: IdParams, response: { 200: KbFileDetail, ...errorResponses } } }, async (req) => {
      const row = await getKnowledgeBaseFile(db, callerOf(req).organizationId, req.params.id);
      return { ...toFile(row), text: row.text };
    });

    app.patch(
      '/knowledge-base-files/:id/',
      {
        schema: {
          tags,
          description: 'Rename a file or attach it to another agent or project; upload a new file to change its content.',
          params: IdParams,
          body: FilePatch,
          response: { 200: KbFile, ...errorResponses },
        },
      },
      async (req) => toFile(await updateKnowledgeBaseFile(db, callerOf(req).organizationId, req.params.id, req.body, isoNow(deps.clock))),
    );

    app.delete('/knowledge-base-files/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteKnowledgeBaseFile(db, callerOf(req).organizationId, req.params.id);
      return reply.code(204).send(null);
    });
  };
