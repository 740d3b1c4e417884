import crypto from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound, Unauthorized } from '../../domain/errors.js';
import type { Store } from '../../store/db.js';
import { findApiKey, hashApiKey, revocationStamp, touchApiKey } from '../../store/organizations.js';
import { FreshRead, KeyCache } from './key-cache.js';

export interface Caller {
  organizationId: number;
  keyId: number;
  keyName: string;
  /** The one project the key may reach, or null for every project of the organization. */
  projectId: number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
    /** The request presented the operator key (the admin API). */
    operator: boolean;
  }
}

function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers['x-cekura-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const auth = req.headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return match?.[1];
}

export interface AuthOptions {
  cacheMs: number;
  now: () => number;
  /** Failed authentications one client address may make per minute before it is answered 429. */
  failuresPerMinute: number;
  /** The operator's key for the admin API; without one the admin API is not there (404). */
  operatorKey?: string;
  isAdmin: (url: string) => boolean;
}

/** Compares in constant time, so the answer's timing tells nothing about how much of a key was right. */
function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/**
 * Resolves the caller's organization from `X-CEKURA-API-KEY` (or `Authorization: Bearer`).
 * Failed attempts are counted per client address by @fastify/rate-limit; an address over its limit
 * is answered 429 for the rest of the window whatever key it presents, so guessing gains nothing.
 */
export async function registerAuth(app: FastifyInstance, store: Store, isPublic: (url: string) => boolean, opts: AuthOptions): Promise<void> {
  const cache = new KeyCache(opts.cacheMs);
  const stamp = new FreshRead(() => revocationStamp(store.db));
  let cachedStamp: string | null = null;
  const windowMs = 60_000;
  const blockedUntil = new Map<string, number>();
  await app.register(fastifyRateLimit, { global: false });
  const countFailure = app.rateLimit({
    max: opts.failuresPerMinute,
    timeWindow: windowMs,
    onExceeded: (req) => {
      // Bounded: an address is remembered only while blocked, and old ones are dropped first.
      if (blockedUntil.size >= 10_000) blockedUntil.delete(blockedUntil.keys().next().value!);
      blockedUntil.set(req.ip, opts.now() + windowMs);
    },
    errorResponseBuilder: () => tooMany(),
  });

  app.decorateRequest('caller', null);
  app.decorateRequest('operator', false);
  const lookUp = async (req: FastifyRequest, key: string, hash: string): Promise<boolean> => {
    const row = await findApiKey(store.db, key);
    if (!row) return false;
    req.caller = { organizationId: row.organization_id, keyId: row.id, keyName: row.name, projectId: row.project_id };
    cache.set(hash, req.caller, opts.now());
    // "Last used" moves once per cache refill, so a busy key costs one write per cache period.
    touchApiKey(store.db, row.id, new Date(opts.now()).toISOString()).catch((err) => req.log.warn({ err: String(err) }, 'could not record key use'));
    return true;
  };

  app.addHook('onRequest', async (req, reply) => {
    if (isPublic(req.url)) return;
    const until = blockedUntil.get(req.ip);
    if (until !== undefined) {
      if (until > opts.now()) throw tooMany();
      blockedUntil.delete(req.ip);
    }
    const key = presentedKey(req);
    if (opts.isAdmin(req.url)) {
      if (!opts.operatorKey) throw new NotFound();
      if (key && sameSecret(key, opts.operatorKey)) {
        req.operator = true;
        return;
      }
    } else if (key) {
      const hash = hashApiKey(key);
      const current = await stamp.get();
      if (current !== cachedStamp) {
        cache.clear();
        cachedStamp = current;
      }
      const cached = cache.get(hash, opts.now());
      if (cached) {
        req.caller = cached;
        return;
      }
      if (await lookUp(req, key, hash)) return;
    }
    await countFailure.call(app, req, reply);
    if (reply.sent) return reply;
    throw new Unauthorized(key ? 'Invalid API key.' : 'Authentication credentials were not provided.');
  });
}

function tooMany(): Error {
  return Object.assign(new Error('Too many failed authentication attempts from this address; try again in a minute.'), { statusCode: 429 });
}

/** The caller of an authenticated route; routes behind auth can rely on it. */
export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw new Unauthorized();
  return req.caller;
}
