import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { FieldErrorCollector } from '../../domain/errors.js';
import { type AgentFileSet, deleteAgentKnowledgeBase } from '../../services/agent-knowledge-base.js';
import { type AgentFile, getAgent } from '../../store/aiagents.js';
import { createKnowledgeBaseFiles, decodeBase64Content, listKnowledgeBaseFiles } from '../../store/knowledge-base-files.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime } from '../schemas.js';
import { readJson, readMultipart } from './knowledge-base-files.js';

/** The reference's KnowledgeBaseFile: a file of one agent. */
export const AgentKbFile = z.object({
  id: z.number().int(),
  agent: z.number().int(),
  file_url: z.string().describe('Where the stored text of the file is read'),
  file_name: z.string(),
  file_type: z.string().describe('MIME type'),
  file_size: z.number().int().describe('Bytes uploaded'),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const MAX_FILES = 20;

const FileId = z.number().int().positive().max(2_147_483_647);

/**
 * One entry of a v2 agent write's `knowledge_base_files` (the reference's AgentKnowledgeBaseFileWrite):
 * an existing file of the agent to keep, by `id` (or as the bare id a v1 read lists), or a new file,
 * `file_name` (or `name`) and `content_base64`. The keys a v2 read answers for a file may come back
 * with it and are ignored.
 */
export const AgentKbFileWrite = z.union([
  FileId,
  z.strictObject({
    id: FileId.optional().describe('An existing file of the agent to keep'),
    file_name: z.string().max(255).optional().describe('Name of a new file, with its extension'),
    name: z.string().max(255).optional().describe('Alias of file_name'),
    content_base64: z.string().optional().describe('Content of a new file, base64 or a data: URI'),
    agent: z.unknown().optional(),
    file_url: z.unknown().optional(),
    file_type: z.unknown().optional(),
    file_size: z.unknown().optional(),
    created_at: z.unknown().optional(),
    updated_at: z.unknown().optional(),
  }),
]);

/** A write's `knowledge_base_files` as the set of files to keep and to add; a malformed entry is a field error naming it. */
export function agentFileSet(items: ReadonlyArray<z.infer<typeof AgentKbFileWrite>>): AgentFileSet {
  const errors = new FieldErrorCollector();
  const set: AgentFileSet = { keep: [], uploads: [] };
  for (const [index, item] of items.entries()) {
    if (typeof item === 'number') {
      set.keep.push(item);
      continue;
    }
    if (item.id !== undefined) {
      if (item.content_base64 === undefined) set.keep.push(item.id);
      else errors.add('knowledge_base_files', `${index}: send id to keep a file, or file_name and content_base64 for a new one, not both.`);
      continue;
    }
    const name = item.file_name ?? item.name;
    const data = item.content_base64 === undefined ? undefined : decodeBase64Content(item.content_base64);
    if (!name || item.content_base64 === undefined) errors.add('knowledge_base_files', `${index}: a new file needs file_name and content_base64.`);
    else if (!data) errors.add('knowledge_base_files', `${index}: content_base64 is not valid base64 or a base64 data: URI.`);
    else set.uploads.push({ name, data, index });
  }
  errors.throwIfAny();
  return set;
}

export const toAgentFile = (r: AgentFile, agentId: number): z.infer<typeof AgentKbFile> => ({
  id: r.id,
  agent: r.agent_id ?? agentId,
  file_url: `/test_framework/v1/knowledge-base-files/${r.id}/`,
  file_name: r.file_name,
  file_type: r.file_type,
  file_size: r.file_size,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

/** An agent's knowledge base at the reference's paths; the files are the same as knowledge-base-files/. */
export const agentKnowledgeBaseRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['agents'];
    const limit = deps.config.uploadLimit;

    app.get(
      '/aiagents/:id/knowledge_base/',
      { schema: { tags, params: IdParams, querystring: PageQuery, response: { 200: paginated(AgentKbFile), ...errorResponses } } },
      async (req) => {
        const { organizationId } = callerOf(req);
        await getAgent(db, organizationId, req.params.id);
        const { page, page_size } = req.query;
        const { count, rows } = await listKnowledgeBaseFiles(
          db,
          organizationId,
          { agentId: req.params.id },
          { offset: (page - 1) * page_size, limit: page_size },
        );
        return pageOf(
          req,
          req.query,
          count,
          rows.map((r) => toAgentFile(r, req.params.id)),
        );
      },
    );

    app.post(
      '/aiagents/:id/upload_knowledge_base/',
      {
        bodyLimit: Math.max(deps.config.bodyLimit, Math.ceil(limit * 1.4) + 10_000),
        config: { rawMultipart: true },
        schema: {
          tags,
          description: `Upload .txt, .md, .json, .csv, .xml or .pdf files as multipart/form-data (\`files\`, repeated; up to ${MAX_FILES}) or as JSON \`{files: [{name, content_base64}]}\`. Answers the stored files.`,
          params: IdParams,
          querystring: PageQuery,
          response: { 201: paginated(AgentKbFile), ...errorResponses },
        },
      },
      async (req, reply) => {
        const { organizationId } = callerOf(req);
        await getAgent(db, organizationId, req.params.id);
        const { uploads } = req.isMultipart()
          ? await readMultipart(req, limit, { fileFields: ['files', 'file'], files: MAX_FILES })
          : readJson({ files: (req.body as { files?: unknown } | undefined)?.files });
        const rows = await createKnowledgeBaseFiles(db, organizationId, { agent: req.params.id }, uploads, limit, isoNow(deps.clock));
        const results = rows.map((r) => toAgentFile(r, req.params.id));
        return reply.code(201).send({ count: results.length, next: null, previous: null, results });
      },
    );

    app.delete(
      '/aiagents/:id/delete_knowledge_base/',
      {
        schema: {
          tags,
          description: "Deletes the agent's knowledge-base files named in `file_ids` (comma-separated), or all of them when none are named.",
          params: IdParams,
          querystring: z.object({
            file_ids: z
              .string()
              .regex(/^\d+(,\d+)*$/, 'Comma-separated file ids.')
              .max(2000)
              .optional(),
          }),
          response: { 200: z.object({ deleted_count: z.number().int() }), ...errorResponses },
        },
      },
      async (req) => {
        const wanted = req.query.file_ids ? new Set(req.query.file_ids.split(',').map(Number)) : null;
        return { deleted_count: await deleteAgentKnowledgeBase(deps, callerOf(req), req.params.id, wanted) };
      },
    );
  };
