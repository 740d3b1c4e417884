import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isoNow } from '../../domain/clock.js';
import { WEBHOOK_EVENTS } from '../../domain/webhooks.js';
import { addWebhook, changeWebhook } from '../../services/webhooks.js';
import type { Row } from '../../store/schema.js';
import { countDeliveries, deleteWebhook, getWebhook, listDeliveries, listWebhooks, redeliver } from '../../store/webhooks.js';
import type { AppDeps } from '../deps.js';
import { PageQuery, pageOf, paginated } from '../pagination.js';
import { callerOf } from '../plugins/auth.js';
import { errorResponses, IdParams, isoTime, optionalIdQuery } from '../schemas.js';

const tags = ['webhooks'];
const id = () => z.number().int().positive().max(2_147_483_647);

export const WebhookWrite = z.strictObject({
  project: id(),
  url: z.string().max(2_000).describe('Where deliveries are POSTed (http or https; see SCENARIST_WEBHOOK_ALLOWED_HOSTS)'),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).describe('The events it receives'),
  enabled: z.boolean().optional(),
  description: z.string().max(1_000).optional(),
});

export const Webhook = z.object({
  id: z.number().int(),
  project: z.number().int(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  enabled: z.boolean(),
  description: z.string(),
  created_at: isoTime(),
  updated_at: isoTime(),
});

const WebhookCreated = Webhook.extend({
  secret: z.string().describe("The signing secret (whsec_…), shown only in this answer: verify each delivery's webhook-signature with it"),
});

export const WebhookDelivery = z.object({
  id: z.number().int(),
  webhook: z.number().int(),
  message_id: z.string().describe('The webhook-id header; the same on every retry'),
  event: z.enum(WEBHOOK_EVENTS),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  next_attempt_at: isoTime().nullable(),
  last_status_code: z.number().int().nullable(),
  last_latency_ms: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: isoTime(),
  delivered_at: isoTime().nullable(),
  payload: z.unknown().describe('The body sent: {type, timestamp, data}'),
});

const toWebhook = (r: Row<'webhooks'>): z.infer<typeof Webhook> => ({
  id: r.id,
  project: r.project_id,
  url: r.url,
  events: JSON.parse(r.events),
  enabled: r.enabled === 1,
  description: r.description,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

const toDelivery = (r: Row<'webhook_deliveries'>): z.infer<typeof WebhookDelivery> => ({
  id: r.id,
  webhook: r.webhook_id,
  message_id: r.message_id,
  event: r.event as z.infer<typeof WebhookDelivery>['event'],
  status: r.status as z.infer<typeof WebhookDelivery>['status'],
  attempts: r.attempts,
  next_attempt_at: r.status === 'pending' ? r.next_attempt_at : null,
  last_status_code: r.last_status_code,
  last_latency_ms: r.last_latency_ms,
  last_error: r.last_error,
  created_at: r.created_at,
  delivered_at: r.delivered_at,
  payload: JSON.parse(r.payload),
});

const DeliveryParams = z.object({ id: IdParams.shape.id, delivery_id: IdParams.shape.id });

/**
 * A project's webhooks: job completed, failed, needing clarification or cancelled, and changesets
 * applied or reverted, each delivery signed (Standard Webhooks headers) and retried for 24 hours.
 */
export const webhookRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { db } = deps.store;
    const now = () => isoNow(deps.clock);

    app.get(
      '/webhooks/',
      { schema: { tags, querystring: z.object({ project_id: optionalIdQuery() }), response: { 200: z.array(Webhook), ...errorResponses } } },
      async (req) => (await listWebhooks(db, callerOf(req).organizationId, req.query.project_id)).map(toWebhook),
    );

    app.post('/webhooks/', { schema: { tags, body: WebhookWrite, response: { 201: WebhookCreated, ...errorResponses } } }, async (req, reply) => {
      const { project, ...input } = req.body;
      const row = await addWebhook(db, deps.config, callerOf(req).organizationId, project, input, now());
      return reply.code(201).send({ ...toWebhook(row), secret: row.secret });
    });

    app.get('/webhooks/:id/', { schema: { tags, params: IdParams, response: { 200: Webhook, ...errorResponses } } }, async (req) =>
      toWebhook(await getWebhook(db, callerOf(req).organizationId, req.params.id)),
    );

    app.patch(
      '/webhooks/:id/',
      { schema: { tags, params: IdParams, body: WebhookWrite.omit({ project: true }).partial(), response: { 200: Webhook, ...errorResponses } } },
      async (req) => toWebhook(await changeWebhook(db, deps.config, callerOf(req).organizationId, req.params.id, req.body, now())),
    );

    app.delete('/webhooks/:id/', { schema: { tags, params: IdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
      await deleteWebhook(db, callerOf(req).organizationId, req.params.id);
      return reply.code(204).send(null);
    });

    app.get(
      '/webhooks/:id/deliveries/',
      {
        schema: {
          tags,
          description: 'Deliveries, newest first, with their status code, latency and attempts.',
          params: IdParams,
          querystring: PageQuery,
          response: { 200: paginated(WebhookDelivery), ...errorResponses },
        },
      },
      async (req) => {
        const { organizationId } = callerOf(req);
        await getWebhook(db, organizationId, req.params.id);
        const q = req.query;
        const [count, rows] = await Promise.all([
          countDeliveries(db, organizationId, req.params.id),
          listDeliveries(db, organizationId, req.params.id, { offset: (q.page - 1) * q.page_size, limit: q.page_size }),
        ]);
        return pageOf(req, q, count, rows.map(toDelivery));
      },
    );

    app.post(
      '/webhooks/:id/deliveries/:delivery_id/redeliver/',
      {
        schema: {
          tags,
          description: 'Sends the delivery again now (same webhook-id), with a fresh 24-hour retry window.',
          params: DeliveryParams,
          response: { 200: WebhookDelivery, ...errorResponses },
        },
      },
      async (req) => toDelivery(await redeliver(db, callerOf(req).organizationId, req.params.id, req.params.delivery_id, now())),
    );
  };
