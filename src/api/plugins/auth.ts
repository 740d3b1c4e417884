import crypto from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  // Word of a revocation anywhere empties it at once (and so does word that may have been missed).
  const unsubscribe = store.keyEvents.subscribe(() => cache.clear());
  app.addHook('onClose', async () => unsubscribe());
  // While that word may be missing (PostgreSQL's LISTEN connection down), the stamp every
  // revocation moves is read instead, before trusting the cache.
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
  // One read per key at a time: when a busy key's entry expires, the requests arriving meanwhile
  // wait for that read instead of each making its own. Never one begun before a revocation was heard.
  const reading = new Map<string, { epoch: number; read: Promise<Caller | null> }>();
  const verify = async (req: FastifyRequest, key: string, hash: string): Promise<Caller | null> => {
    const epoch = cache.epoch;
    const row = await findApiKey(store.db, key);
    if (!row) return null;
    const caller = { organizationId: row.organization_id, keyId: row.id, keyName: row.name, projectId: row.project_id };
    // Not kept when a revocation was heard during the read: the row may predate it.
    cache.set(hash, caller, opts.now(), epoch);
    // "Last used" moves at most once per cache period, however often caches refill (word of any
    // write by another process empties them on SQLite; two processes must not set each other off).
    const at = opts.now();
    if (row.last_used_at === null || Date.parse(row.last_used_at) <= at - opts.cacheMs)
      touchApiKey(store.db, row.id, new Date(at).toISOString()).catch((err) => req.log.warn({ err: String(err) }, 'could not record key use'));
    return caller;
  };
  const lookUp = async (req: FastifyRequest, key: string, hash: string): Promise<boolean> => {
    let pending = reading.get(hash);
    if (pending?.epoch !== cache.epoch) {
      const read = verify(req, key, hash).finally(() => {
        if (reading.get(hash)?.read === read) reading.delete(hash);
      });
      pending = { epoch: cache.epoch, read };
      reading.set(hash, pending);
    }
    const caller = await pending.read;
    if (!caller) return false;
    req.caller = caller;
    return true;
  };

  const authenticate = async (req: FastifyRequest, reply: FastifyReply, key: string | undefined): Promise<unknown> => {
    const until = blockedUntil.get(req.ip);
    if (until !== undefined) {
      if (until > opts.now()) throw tooMany();
      blockedUntil.delete(req.ip);
    }
    if (opts.isAdmin(req.url)) {
      if (!opts.operatorKey) throw new NotFound();
      if (key && sameSecret(key, opts.operatorKey)) {
        req.operator = true;
        return;
      }
    } else if (key) {
      const hash = hashApiKey(key);
      if (!store.keyEvents.fresh()) {
        const current = await stamp.get();
        if (current !== cachedStamp) {
          cache.clear();
          cachedStamp = current;
        }
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
  };

  // A callback hook, so the common request (a key verified a moment ago, every revocation heard)
  // is answered without a promise; anything else takes the full path above.
  app.addHook('onRequest', (req, reply, done) => {
    if (isPublic(req.url)) return done();
    const key = presentedKey(req);
    if (key && !blockedUntil.size && !opts.isAdmin(req.url) && store.keyEvents.fresh()) {
      const cached = cache.get(hashOnConnection(req, key), opts.now());
      if (cached) {
        req.caller = cached;
        return done();
      }
    }
    authenticate(req, reply, key).then((sent) => {
      if (sent !== reply) done();
    }, done);
  });
}

const lastKey = Symbol('the last key presented on this connection, and its hash');
type KeyedSocket = { [lastKey]?: { key: string; hash: string } };

/**
 * The key's hash, computed once per connection while the client keeps presenting the same key (a
 * client polling over keep-alive sends it with every request): hashing costs more than the rest
 * of a cached poll's authentication. Kept on the socket, so it goes with the connection.
 */
function hashOnConnection(req: FastifyRequest, key: string): string {
  const socket = req.raw.socket as unknown as KeyedSocket | null;
  if (!socket) return hashApiKey(key);
  const last = socket[lastKey];
  if (last?.key === key) return last.hash;
  const hash = hashApiKey(key);
  socket[lastKey] = { key, hash };
  return hash;
}

function tooMany(): Error {
  return Object.assign(new Error('Too many failed authentication attempts from this address; try again in a minute.'), { statusCode: 429 });
}

/** The caller of an authenticated route; routes behind auth can rely on it. */
export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw new Unauthorized();
  return req.caller;
}
