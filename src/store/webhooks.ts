import crypto from 'node:crypto';
import { NotFound } from '../domain/errors.js';
import { RETRY_WINDOW_MS, type WebhookEvent } from '../domain/webhooks.js';
import type { Executor } from './db.js';
import { getOwned } from './ownership.js';
import type { Row } from './schema.js';

export interface WebhookInput {
  url: string;
  events: WebhookEvent[];
  enabled?: boolean;
  description?: string;
}

export function createWebhook(
  db: Executor,
  organizationId: number,
  projectId: number,
  input: WebhookInput & { secret: string },
  now: string,
): Promise<Row<'webhooks'>> {
  return db
    .insertInto('webhooks')
    .values({
      organization_id: organizationId,
      project_id: projectId,
      url: input.url,
      events: JSON.stringify(input.events),
      secret: input.secret,
      enabled: input.enabled === false ? 0 : 1,
      description: input.description ?? '',
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export const getWebhook = (db: Executor, organizationId: number, id: number) => getOwned(db, 'webhooks', organizationId, id);

export function listWebhooks(db: Executor, organizationId: number, projectId?: number): Promise<Row<'webhooks'>[]> {
  let q = db.selectFrom('webhooks').selectAll().where('organization_id', '=', organizationId);
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return q.orderBy('id').execute();
}

export async function updateWebhook(db: Executor, organizationId: number, id: number, patch: Partial<WebhookInput>, now: string): Promise<Row<'webhooks'>> {
  await getWebhook(db, organizationId, id);
  return db
    .updateTable('webhooks')
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: JSON.stringify(patch.events) } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteWebhook(db: Executor, organizationId: number, id: number): Promise<void> {
  await getWebhook(db, organizationId, id);
  await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
  await db.deleteFrom('webhooks').where('id', '=', id).execute();
}

/**
 * Queues an event for every enabled webhook of the project that takes it, in the caller's
 * transaction: the event exists exactly when what it reports was committed. Sent later by a worker.
 */
export async function enqueueWebhookEvent(
  db: Executor,
  organizationId: number,
  projectId: number | null,
  event: WebhookEvent,
  /** The event's data, or how to build it: built only when some webhook takes the event. */
  data: object | (() => Promise<object>),
  now: string,
): Promise<number> {
  if (projectId === null) return 0;
  const hooks = await db
    .selectFrom('webhooks')
    .select(['id', 'events'])
    .where('project_id', '=', projectId)
    .where('organization_id', '=', organizationId)
    .where('enabled', '=', 1)
    .execute();
  const takers = hooks.filter((h) => (JSON.parse(h.events) as string[]).includes(event));
  if (!takers.length) return 0;
  const giveUp = new Date(Date.parse(now) + RETRY_WINDOW_MS).toISOString();
  const payload = JSON.stringify({ type: event, timestamp: now, data: typeof data === 'function' ? await data() : data });
  await db
    .insertInto('webhook_deliveries')
    .values(
      takers.map((h) => ({
        organization_id: organizationId,
        webhook_id: h.id,
        message_id: `msg_${crypto.randomUUID().replace(/-/g, '')}`,
        event,
        payload,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        give_up_at: giveUp,
        lease_until: null,
        last_status_code: null,
        last_latency_ms: null,
        last_error: null,
        created_at: now,
        delivered_at: null,
      })),
    )
    .execute();
  return takers.length;
}

/** A delivery to send, with what signs and addresses it. */
export type DueDelivery = Row<'webhook_deliveries'> & { url: string; secret: string; enabled: number };

/**
 * Claims deliveries due now for `leaseMs`: each claim is a conditional update, so of several
 * senders exactly one sends a delivery; one whose sender died is claimed again when its lease ends.
 */
export async function claimDueDeliveries(db: Executor, now: string, leaseUntil: string, limit: number): Promise<DueDelivery[]> {
  const due = await db
    .selectFrom('webhook_deliveries')
    .select(['id', 'lease_until'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  const out: DueDelivery[] = [];
  for (const d of due) {
    let q = db.updateTable('webhook_deliveries').set({ lease_until: leaseUntil }).where('id', '=', d.id).where('status', '=', 'pending');
    q = d.lease_until === null ? q.where('lease_until', 'is', null) : q.where('lease_until', '=', d.lease_until);
    const won = await q.returningAll().executeTakeFirst();
    if (!won) continue;
    const hook = await db.selectFrom('webhooks').select(['url', 'secret', 'enabled']).where('id', '=', won.webhook_id).executeTakeFirst();
    if (hook) out.push({ ...won, ...hook });
  }
  return out;
}

export interface AttemptRecord {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** Delivered, or when to try again, or null to give up. */
  outcome: { delivered: true } | { retryAt: string } | { failed: true };
}

export async function recordAttempt(db: Executor, id: number, attempt: AttemptRecord, now: string): Promise<void> {
  const o = attempt.outcome;
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      lease_until: null,
      last_status_code: attempt.statusCode,
      last_latency_ms: Math.round(attempt.latencyMs),
      last_error: attempt.error,
      status: 'delivered' in o ? 'delivered' : 'failed' in o ? 'failed' : 'pending',
      ...('retryAt' in o ? { next_attempt_at: o.retryAt } : {}),
      ...('delivered' in o ? { delivered_at: now } : {}),
    }))
    .where('id', '=', id)
    .execute();
}

export function listDeliveries(db: Executor, organizationId: number, webhookId: number, page: { offset: number; limit: number }) {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('webhook_id', '=', webhookId)
    .orderBy('id', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

export async function countDeliveries(db: Executor, organizationId: number, webhookId: number): Promise<number> {
  const { n } = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('webhook_id', '=', webhookId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** Sends a delivery again now, with a fresh retry window: a receiver that was down can be caught up by hand. */
export async function redeliver(db: Executor, organizationId: number, webhookId: number, deliveryId: number, now: string): Promise<Row<'webhook_deliveries'>> {
  const row = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, give_up_at: new Date(Date.parse(now) + RETRY_WINDOW_MS).toISOString(), lease_until: null })
    .where('id', '=', deliveryId)
    .where('webhook_id', '=', webhookId)
    .where('organization_id', '=', organizationId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFound();
  return row;
}
