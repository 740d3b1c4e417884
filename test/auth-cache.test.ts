import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyCache } from '../src/api/plugins/key-cache.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('KeyCache', () => {
  const caller = { organizationId: 1, keyId: 1, keyName: 'k', projectId: null };

  it('answers a verified key until its time is up, then forgets it', () => {
    const cache = new KeyCache(1_000);
    cache.set('h', caller, 0);
    expect(cache.get('h', 999)).toEqual(caller);
    expect(cache.get('h', 1_000)).toBeUndefined();
    expect(cache.get('h', 0)).toBeUndefined();
  });

  it('keeps nothing when its time to live is zero', () => {
    const cache = new KeyCache(0);
    cache.set('h', caller, 0);
    expect(cache.get('h', 0)).toBeUndefined();
  });

  it('evicts the oldest key when full', () => {
    const cache = new KeyCache(1_000, 2);
    cache.set('a', caller, 0);
    cache.set('b', caller, 0);
    cache.set('c', caller, 0);
    expect([cache.get('a', 1), cache.get('b', 1), cache.get('c', 1)]).toEqual([undefined, caller, caller]);
  });
});

describe('a key revoked in the database', () => {
  let s: TestServer;
  let now = Date.parse('2026-01-01T00:00:00Z');
  beforeAll(async () => {
    s = await startTestServer({ SCENARIST_AUTH_CACHE_MS: '5000' }, { clock: () => new Date(now) });
  });
  afterAll(async () => s?.stop());

  it('stops working once the cache time has passed, and an unknown key is never cached', async () => {
    expect((await s.api('GET', 'projects/')).status).toBe(200);
    await s.running.store.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date(now).toISOString() })
      .execute();
    now += 4_000;
    expect((await s.api('GET', 'projects/')).status).toBe(200);
    now += 1_001;
    expect((await s.api('GET', 'projects/')).status).toBe(401);
    expect((await s.as('sk_scn_unknown')('GET', 'projects/')).status).toBe(401);
  });
});
