import crypto from 'node:crypto';

/**
 * Webhooks as receivers already verify them (the Standard Webhooks scheme): each delivery carries
 * `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` and the base64
 * HMAC-SHA256 of `id.timestamp.body` under the secret's key), so a receiver checks who sent it and
 * rejects a replay whose timestamp is stale.
 */

export const WEBHOOK_EVENTS = ['job.completed', 'job.failed', 'job.needs_clarification', 'job.cancelled', 'changeset.applied', 'changeset.reverted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The event a job's final status raises; both clarification statuses are one event (the status tells them apart). */
export function jobEventFor(status: string): WebhookEvent | null {
  if (status === 'completed') return 'job.completed';
  if (status === 'failed') return 'job.failed';
  if (status === 'cancelled') return 'job.cancelled';
  if (status === 'needs_clarification' || status === 'needs_agent_clarification') return 'job.needs_clarification';
  return null;
}

const SECRET_PREFIX = 'whsec_';

/** A new signing secret, `whsec_` and 24 random bytes in base64, as Standard Webhooks libraries take it. */
export const newWebhookSecret = (): string => SECRET_PREFIX + crypto.randomBytes(24).toString('base64');

const keyOf = (secret: string) => Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${crypto.createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The headers of one delivery. */
export function webhookHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}

/**
 * What a receiver does: true when one of the signatures is the secret's over this id, timestamp and
 * body, and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const one = (k: string) => (Array.isArray(headers[k]) ? headers[k]![0] : (headers[k] as string | undefined));
  const id = one('webhook-id');
  const ts = Number(one('webhook-timestamp'));
  const given = one('webhook-signature');
  if (!id || !given || !Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, id, ts, body));
  return given.split(' ').some((sig) => {
    const b = Buffer.from(sig);
    return b.length === expected.length && crypto.timingSafeEqual(b, expected);
  });
}

/** How long a delivery is retried, and the wait before attempt n+1 (exponential, capped at an hour). */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const retryDelayMs = (attempts: number, baseMs: number): number => Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 60 * 60 * 1000);

const PRIVATE_V4 = [/^127\./, /^10\./, /^192\.168\./, /^169\.254\./, /^172\.(1[6-9]|2\d|3[01])\./, /^0\./];

/**
 * Whether a webhook may be sent to this URL: http(s) only; with an allow-list, only its hosts
 * (`host` or `host:port`); without one, no loopback, link-local or private address, so a webhook
 * cannot be pointed at the server's own network. Why not, or null when it may.
 */
export function webhookUrlProblem(url: string, allowed: readonly string[]): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'Enter a valid URL.';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'Only http and https URLs can receive webhooks.';
  if (u.username || u.password) return 'The URL must not carry credentials; use the signing secret to authenticate deliveries.';
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowed.length) {
    return allowed.includes(host) || allowed.includes(`${host}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`) || allowed.includes(u.host.toLowerCase())
      ? null
      : `Webhooks may only be sent to the allowed hosts (SCENARIST_WEBHOOK_ALLOWED_HOSTS): ${allowed.join(', ')}.`;
  }
  if (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    host.startsWith('fc') ||
    host.startsWith('fd') ||
    host.startsWith('fe80') ||
    PRIVATE_V4.some((r) => r.test(host))
  ) {
    return 'Webhooks cannot be sent to loopback or private addresses unless SCENARIST_WEBHOOK_ALLOWED_HOSTS allows them.';
  }
  return null;
}
