import crypto from 'node:crypto';
import net from 'node:net';

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

/** Addresses inside a network rather than on the internet: loopback, private, link-local, shared, reserved. */
const INTERNAL = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  INTERNAL.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(prefix, bits, 'ipv6');

const familyOf = (ip: string) => (net.isIPv4(ip) ? 'ipv4' : 'ipv6');

/** Whether an IP address is internal (IPv4 written inside IPv6, `::ffff:10.0.0.1`, counts as the IPv4 address). */
export const isInternalAddress = (ip: string): boolean => INTERNAL.check(ip, familyOf(ip));

/** The address and port an allow-list entry names (`10.0.0.5`, `10.0.0.5:8080`, `[::1]:8080`, `::1`), or null for a name. */
function entryAddress(entry: string): { ip: string; port: number | null } | null {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return net.isIP(bracketed[1]!) ? { ip: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : null } : null;
  if (net.isIP(entry)) return { ip: entry, port: null };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  return withPort && net.isIPv4(withPort[1]!) ? { ip: withPort[1]!, port: Number(withPort[2]) } : null;
}

/** Whether the allow-list names this address (on this port, when its entry gives one). */
function addressListed(address: string, port: number, allowed: readonly string[]): boolean {
  return allowed.some((entry) => {
    const named = entryAddress(entry);
    if (!named || (named.port !== null && named.port !== port)) return false;
    const one = new net.BlockList();
    one.addAddress(named.ip, familyOf(named.ip));
    return one.check(address, familyOf(address));
  });
}

/**
 * Whether a webhook may be sent to this URL: http(s) only; with an allow-list, only its hosts
 * (`host` or `host:port`); without one, no loopback, link-local or private address, so a webhook
 * cannot be pointed at the server's own network. Why not, or null when it may. Names are checked
 * again by the addresses they resolve to when a delivery is sent (`resolvedAddressProblem`).
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
  if (host === 'localhost' || host.endsWith('.localhost') || (net.isIP(host) && isInternalAddress(host))) {
    return 'Webhooks cannot be sent to loopback or private addresses unless SCENARIST_WEBHOOK_ALLOWED_HOSTS allows them.';
  }
  return null;
}

/**
 * Why a delivery must not connect to an address its host resolved to, or null: an internal address
 * is reached only when the allow-list names that very address (`127.0.0.1`, `::1`, `10.0.0.5:8080`),
 * so a name the list allows, or any public name, cannot be made to point into the network.
 */
export function resolvedAddressProblem(host: string, address: string, port: number, allowed: readonly string[]): string | null {
  if (!isInternalAddress(address) || addressListed(address, port, allowed)) return null;
  return `${host} resolves to ${address}, a loopback or private address; only addresses SCENARIST_WEBHOOK_ALLOWED_HOSTS lists as addresses can receive webhooks.`;
}
