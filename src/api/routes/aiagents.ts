import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LANGUAGE_CODES, type LanguageCode } from '../../domain/languages.js';
import { createAgentWithFiles, updateAgentWithFiles } from '../../services/agent-knowledge-base.js';
import { type AgentInput, type AgentRecord, deleteAgent, getAgent, listAgents } from '../../store/aiagents.js';
import type { AppDeps } from '../deps.js';
import { readDocumented, readShape, splitDocumented, writeShape } from '../documented-fields.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { AGENT_FIELDS, AGENT_V2_FIELDS } from '../reference-fields.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';
import { AgentKbFile, AgentKbFileWrite, agentFileSet, toAgentFile } from './agent-knowledge-base.js';

/** What v1 and v2 agents both take; the v2 names (`name`, `telephony`, `provider`, …) are the same agent's fields. */
const agentFields = {
  project: z.number().int().positive().max(2_147_483_647),
  agent_name: z.string().trim().min(1).max(255),
  description: z.string().max(100_000).optional().describe('What the agent does: its purpose or system prompt'),
  language: z.enum(LANGUAGE_CODES).optional(),
  inbound: z.boolean().optional(),
  assistant_id: z.string().max(255).nullable().optional().describe("The provider's assistant id"),
  ...writeShape(AGENT_FIELDS),
  ...writeShape(AGENT_V2_FIELDS),
  name: z.string().trim().min(1).max(255).optional().describe('The v2 name of agent_name'),
  // In the reference's own v2 examples beside `telephony`, though its schema lists it only there.
  phone_number: z.string().max(30).optional().describe("v2: the agent's phone number, as telephony.phone_number"),
  knowledge_base_files: z
    .array(AgentKbFileWrite)
    .max(100)
    .optional()
    .describe(
      'v2: the whole set of files the agent should have: existing ones by id, new ones with file_name and content_base64 (multipart: file parts of this name); files left out are deleted. Read-only under v1, where it is ignored.',
    ),
};

const named = (b: { agent_name?: string; name?: string; provider?: unknown }, ctx: z.RefinementCtx) => {
  if (b.agent_name !== undefined || b.name !== undefined) return;
  // The reference can fetch an agent from its provider; Scenarist calls no provider, so it needs the name.
  const message = (b.provider as { configure_from_provider?: unknown } | undefined)?.configure_from_provider
    ? 'This field is required: Scenarist does not import agents from their provider (configure_from_provider); send name and description.'
    : 'This field is required.';
  ctx.addIssue({ code: 'custom', path: ['agent_name'], message });
};
export const AgentWrite = z.strictObject({ ...agentFields, agent_name: agentFields.agent_name.optional() }).superRefine(named);
/** A PUT names the agent again; its project is the one it has (SchemaUpdateAIAgentExternal has none). */
const AgentPut = z.strictObject({ ...agentFields, project: agentFields.project.optional(), agent_name: agentFields.agent_name.optional() }).superRefine(named);
const AgentPatch = z.strictObject(agentFields).partial();

export const Agent = z.object({
  id: z.number().int(),
  project: z.number().int(),
  agent_name: z.string(),
  name: z.string().describe('The v2 name of agent_name'),
  description: z.string(),
  language: z.enum(LANGUAGE_CODES),
  inbound: z.boolean(),
  assistant_id: z.string().nullable(),
  knowledge_base_files: z
    .array(z.union([z.number().int(), AgentKbFile]))
    .describe('The knowledge-base files attached to the agent: ids under v1, the files under v2 (as the reference answers each)'),
  ...readShape(AGENT_FIELDS),
  ...readShape(AGENT_V2_FIELDS),
  telephony: z.record(z.string(), z.unknown()).describe('v2: how the agent is reached'),
  provider: z.record(z.string(), z.unknown()).describe('v2: where the agent runs; credentials are never answered'),
  mock_tools: z.array(z.unknown()),
  dynamic_variables: z.array(z.unknown()),
  created_at: isoTime(),
  updated_at: isoTime(),
});

/** The reference's v2 agent serializer answers files as objects; v1 lists their ids. */
const isV2 = (req: FastifyRequest) => req.originalUrl.startsWith('/test_framework/v2/');

const FILES = 'knowledge_base_files';

/** The files a write names, under v2; v1 documents the field read-only, so a v1 write leaves the files as they are. */
const filesOf = (req: FastifyRequest, items: z.infer<typeof AgentPatch>['knowledge_base_files']) => (items && isV2(req) ? agentFileSet(items) : undefined);

const toAgent = (r: AgentRecord, v2: boolean): z.infer<typeof Agent> => {
  const kept = JSON.parse(r.documented) as Record<string, unknown>;
  return {
    id: r.id,
    project: r.project_id,
    agent_name: r.agent_name,
    name: r.agent_name,
    description: r.description,
    language: r.language as LanguageCode,
    inbound: r.inbound === 1,
    assistant_id: r.assistant_id,
    knowledge_base_files: v2 ? r.knowledgeBaseFiles.map((f) => toAgentFile(f, r.id)) : r.knowledgeBaseFiles.map((f) => f.id),
    ...readDocumented(AGENT_FIELDS, kept),
    ...readDocumented(AGENT_V2_FIELDS, kept),
    // The v2 groupings read the agent's own fields, so v1 and v2 writes show in both.
    telephony: { ...((kept.telephony as object) ?? {}), phone_number: (kept.contact_number as string) ?? '', inbound: r.inbound === 1 },
    provider: { type: '', ...((kept.provider as object) ?? {}), agent_id: r.assistant_id, credentials: null },
    mock_tools: [],
    dynamic_variables: [],
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
};

/** A body as the store takes it: v2 names folded onto the agent's fields, the documented rest kept. */
function agentInput(body: z.infer<typeof AgentPatch>): Partial<AgentInput> {
  const { own, documented } = splitDocumented(body, { ...AGENT_FIELDS, ...AGENT_V2_FIELDS });
  const { name, phone_number, ...rest } = own;
  const telephony = documented.telephony as { phone_number?: string; inbound?: boolean } | undefined;
  const provider = documented.provider as { agent_id?: string | null; credentials?: unknown } | undefined;
  if (provider && 'credentials' in provider) {
    // A provider credential is never stored.
    const { credentials: _, ...kept } = provider;
    documented.provider = kept;
  }
  documented.contact_number ??= telephony?.phone_number ?? phone_number;
  if (documented.contact_number === undefined) delete documented.contact_number;
  return {
    ...rest,
    ...(rest.agent_name === undefined && name !== undefined ? { agent_name: name } : {}),
    ...(rest.inbound === undefined && telephony?.inbound !== undefined ? { inbound: telephony.inbound } : {}),
    ...(rest.assistant_id === undefined && provider?.agent_id !== undefined ? { assistant_id: provider.agent_id } : {}),
    documented,
  };
}

export const aiagentRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const tags = ['agents'];

    app.get(
      '/aiagents/',
      {
        schema: {
          tags,
          querystring: PageQuery.extend({ project_id: optionalIdQuery(), q: z.string().max(255).optional().describe('Text to find in agent_name') }),
          response: { 200: paginated(Agent), ...errorResponses },
        },
      },
      async (req) => {
        const { page, page_size, project_id, q } = req.query;
        const { count, rows } = await listAgents(
          db,
          callerOf(req).organizationId,
          { projectId: project_id, q },
          { offset: (page - 1) * page_size, limit: page_size },
        );
        return pageOf(
          req,
          req.query,
          count,
          rows.map((r) => toAgent(r, isV2(req))),
        );
      },
    );

    // A v2 write may carry the agent's files inline, base64 in JSON or file parts of a multipart body.
    const withFiles = { bodyLimit: Math.max(deps.config.bodyLimit, Math.ceil(deps.config.uploadLimit * 1.4) + 10_000), config: { fileFields: [FILES] } };

    app.post('/aiagents/', { ...withFiles, schema: { tags, body: AgentWrite, response: { 201: Agent, ...errorResponses } } }, async (req, reply) => {
      const { knowledge_base_files, ...body } = req.body;
      const row = await createAgentWithFiles(deps, callerOf(req), agentInput(body) as AgentInput, filesOf(req, knowledge_base_files));
      return reply.code(201).send(toAgent(row, isV2(req)));
    });

    app.get('/aiagents/:id/', { schema: { tags, params: IdParams, response: { 200: Agent, ...errorResponses } } }, async (req) =>
      toAgent(await getAgent(db, callerOf(req).organizationId, req.params.id), isV2(req)),
    );

    const update = async (req: FastifyRequest, id: number, body: z.infer<typeof AgentPatch>) => {
      const { knowledge_base_files, ...rest } = body;
      const row = await updateAgentWithFiles(deps, callerOf(req), id, agentInput(rest), filesOf(req, knowledge_base_files));
      return toAgent(row, isV2(req));
    };
    app.patch(
      '/aiagents/:id/',
      { ...withFiles, schema: { tags, params: IdParams, body: AgentPatch, response: { 200: Agent, ...errorResponses } } },
      async (req) => update(req, req.params.id, req.body),
    );
    app.put('/aiagents/:id/', { ...withFiles, schema: { tags, params: IdParams, body: AgentPut, response: { 200: Agent, ...errorResponses } } }, async (req) =>
      update(req, req.params.id, req.body),
    );

    app.delete('/aiagents/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteAgent(db, callerOf(req).organizationId, req.params.id);
      return reply.code(204).send(null);
    });
  };
