import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { FieldErrorCollector, PayloadTooLarge, ValidationError } from '../../domain/errors.js';
import { extractText } from '../../store/knowledge-text.js';
import { deleteOwned, insertOwned, listOwned } from '../../store/owned-rows.js';
import { getOwned, projectOfWrite } from '../../store/ownership.js';
import type { Row } from '../../store/schema.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const KbFile = z.object({
  id: z.number().int(),
  agent: z.number().int().nullable(),
  project: z.number().int().nullable(),
  file_name: z.string(),
  file_type: z.string(),
  file_size: z.number().int(),
  text_length: z.number().int(),
  created_at: isoTime(),
  updated_at: isoTime(),
});
const KbFileDetail = KbFile.extend({ text: z.string() });

const JsonUpload = z.strictObject({
  agent: z.number().int().positive().max(2_147_483_647).optional(),
  project: z.number().int().positive().max(2_147_483_647).optional(),
  files: z
    .array(z.strictObject({ name: z.string().min(1).max(255), content_base64: z.string().min(1) }))
    .min(1)
    .max(20),
});

const toFile = (r: Row<'knowledge_base_files'>): z.infer<typeof KbFile> => ({
  id: r.id,
  agent: r.agent_id,
  project: r.project_id,
  file_name: r.file_name,
  file_type: r.file_type,
  file_size: r.file_size,
  text_length: r.text.length,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

const positiveInt = (v: string | undefined) => (v !== undefined && /^\d{1,9}$/.test(v) && Number(v) > 0 ? Number(v) : undefined);

export const knowledgeBaseFileRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const { db } = deps.store;
  const tags = ['knowledge base files'];
  const limit = deps.config.uploadLimit;
  await app.register(fastifyMultipart, { limits: { fileSize: limit, files: 1, fields: 10, fieldSize: 1000 } });

  app.get(
    '/knowledge-base-files/',
    { schema: { tags, querystring: PageQuery.extend({ project_id: optionalIdQuery(), agent_id: optionalIdQuery() }), response: { 200: paginated(KbFile), ...errorResponses } } },
    async (req) => {
      const { page, page_size, project_id, agent_id } = req.query;
      const { count, rows } = await listOwned(db, 'knowledge_base_files', callerOf(req).organizationId, { project_id, agent_id }, { offset: (page - 1) * page_size, limit: page_size });
      return pageOf(req, req.query, count, rows.map(toFile));
    },
  );

  app.post(
    '/knowledge-base-files/',
    {
      // Multipart bodies are read by the handler; the body schema documents the JSON alternative.
      bodyLimit: Math.max(deps.config.bodyLimit, Math.ceil(limit * 1.4) + 10_000),
      schema: {
        tags,
        description: 'Upload a .txt, .md or .pdf file as multipart/form-data (`file`, plus `agent` or `project`), or as JSON `{agent|project, files: [{name, content_base64}]}`.',
        response: { 201: z.array(KbFile), ...errorResponses },
      },
    },
    async (req, reply) => {
      const org = callerOf(req).organizationId;
      const uploads: Array<{ name: string; data: Buffer }> = [];
      let owner: { agent?: number; project?: number };
      if (req.isMultipart()) {
        const fields: Record<string, string> = {};
        try {
          for await (const part of req.parts()) {
            if (part.type === 'file') {
              const data = await part.toBuffer();
              if (part.file.truncated) throw new PayloadTooLarge();
              uploads.push({ name: part.filename || 'upload', data });
            } else fields[part.fieldname] = String(part.value);
          }
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (e instanceof PayloadTooLarge || code === 'FST_REQ_FILE_TOO_LARGE') throw new PayloadTooLarge(`File is larger than the ${limit}-byte upload limit.`);
          if (code?.startsWith('FST_')) throw ValidationError.field('file', 'The multipart body could not be read.');
          throw e;
        }
        const errors = new FieldErrorCollector();
        for (const f of ['agent', 'project'] as const) if (fields[f] !== undefined && positiveInt(fields[f]) === undefined) errors.add(f, 'A valid integer is required.');
        if (!uploads.length) errors.add('file', 'No file was submitted.');
        errors.throwIfAny();
        owner = { agent: positiveInt(fields.agent), project: positiveInt(fields.project) };
      } else {
        const parsed = JsonUpload.safeParse(req.body);
        if (!parsed.success) {
          const errors = new FieldErrorCollector();
          for (const i of parsed.error.issues) errors.add(String(i.path[0] ?? 'non_field_errors'), (i.path.length > 1 ? `${i.path.slice(1).join('.')}: ` : '') + i.message);
          errors.throwIfAny();
          return;
        }
        owner = { agent: parsed.data.agent, project: parsed.data.project };
        for (const f of parsed.data.files) {
          const b64 = f.content_base64.replace(/^data:[^,]*,/, '');
          if (!/^[A-Za-z0-9+/=\s_-]*$/.test(b64)) throw ValidationError.field('files', `${f.name}: content_base64 is not base64.`);
          uploads.push({ name: f.name, data: Buffer.from(b64, 'base64') });
        }
      }
      const { projectId, agentId } = await projectOfWrite(db, org, owner, true);
      const extracted = await Promise.all(uploads.map(async (u) => ({ ...u, ...(await extractText(u.name, u.data, limit)) })));
      const now = isoNow(deps.clock);
      const rows = await db.transaction().execute(async (tx) => {
        const out: Row<'knowledge_base_files'>[] = [];
        for (const u of extracted) {
          out.push(
            await insertOwned(tx, 'knowledge_base_files', {
              organization_id: org,
              project_id: projectId,
              agent_id: agentId,
              file_name: u.name.slice(0, 255),
              file_type: u.mime,
              file_size: u.data.length,
              text: u.text,
              created_at: now,
              updated_at: now,
            }),
          );
        }
        return out;
      });
      return reply.code(201).send(rows.map(toFile));
    },
  );

  app.get('/knowledge-base-files/:id/', { schema: { tags, params: IdParams, response: { 200: KbFileDetail, ...errorResponses } } }, async (req) => {
    const row = await getOwned(db, 'knowledge_base_files', callerOf(req).organizationId, req.params.id);
    return { ...toFile(row), text: row.text };
  });

  app.delete('/knowledge-base-files/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await deleteOwned(db, 'knowledge_base_files', callerOf(req).organizationId, req.params.id);
    return reply.code(204).send(null);
  });
};
