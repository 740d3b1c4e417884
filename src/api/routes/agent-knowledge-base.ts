import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { deleteAgentKnowledgeBase } from '../../services/agent-knowledge-base.js';
import { type AgentFile, getAgent } from '../../store/aiagents.js';
import { createKnowledgeBaseFiles, listKnowledgeBaseFiles } from '../../store/knowledge-base-files.js';
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
          description: `Upload .txt, .md or .pdf files as multipart/form-data (\`files\`, repeated; up to ${MAX_FILES}) or as JSON \`{files: [{name, content_base64}]}\`. Answers the stored files.`,
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
