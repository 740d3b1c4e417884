import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Unauthorized } from '../../domain/errors.js';
import type { Store } from '../../store/db.js';
import { findApiKey, hashApiKey } from '../../store/organizations.js';
import { KeyCache } from './key-cache.js';

export interface Caller {
  organizationId: number;
  keyId: number;
  keyName: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers['x-cekura-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const auth = req.headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  return match?.[1];
}

/** Resolves the caller's organization from `X-CEKURA-API-KEY` (or `Authorization: Bearer`). */
export function registerAuth(
  app: FastifyInstance,
  store: Store,
  isPublic: (url: string) => boolean,
  opts: { cacheMs: number; now: () => number },
): void {
  const cache = new KeyCache(opts.cacheMs);
  app.decorateRequest('caller', null);
  const lookUp = async (req: FastifyRequest, key: string, hash: string) => {
    const row = await findApiKey(store.db, key);
    if (!row) throw new Unauthorized('Invalid API key.');
    req.caller = { organizationId: row.organization_id, keyId: row.id, keyName: row.name };
    cache.set(hash, req.caller, opts.now());
  };
  // Callback style, so a cached key (every poll of a waiting client) costs no promise and no extra tick.
  app.addHook('onRequest', (req, _reply, done) => {
    if (isPublic(req.url)) return done();
    const key = presentedKey(req);
    if (!key) return done(new Unauthorized('Authentication credentials were not provided.'));
    const hash = hashApiKey(key);
    const cached = cache.get(hash, opts.now());
    if (cached) {
      req.caller = cached;
      return done();
    }
    lookUp(req, key, hash).then(() => done(), done);
  });
}

/** The caller of an authenticated route; routes behind auth can rely on it. */
export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw new Unauthorized();
  return req.caller;
}
