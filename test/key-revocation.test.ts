import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyCache } from '../src/api/plugins/key-cache.js';
import { migrate, openStore, type Store } from '../src/store/db.js';
import { hashApiKey } from '../src/store/organizations.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();

describe('KeyCache and revocations', () => {
  const caller = { organizationId: 1, keyId: 1, keyName: 'k', projectId: null };

  it('does not keep a key read before the cache was emptied: its row may predate a revocation', () => {
    const cache = new KeyCache(1_000);
    const readAt = cache.epoch;
    cache.clear();
    cache.set('h', caller, 0, readAt);
    expect(cache.get('h', 1)).toBeUndefined();
    cache.set('h', caller, 0, cache.epoch);
    expect(cache.get('h', 1)).toEqual(caller);
  });
});

/** Another process (a store of its own, as the CLI or a worker has) changing keys under a running server. */
describe.each(testDatabases)('keys changed by another process on $name', ({ name }) => {
  let s: TestServer;
  let other: Store;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    // A long key cache, so only word of the change can make a revoked key fail at once.
    s = await startTestServer({ SCENARIST_AUTH_CACHE_MS: '600000', ...database.env }, { worker: false });
    other =
      name === 'postgres'
        ? openStore({ kind: 'postgres', url: database.env.DATABASE_URL!, poolSize: 2 })
        : openStore({ kind: 'sqlite', file: path.join(s.dataDir, 'scenarist.db') });
    await migrate(other);
  });
  afterAll(async () => {
    await other?.close();
    await s?.stop();
    await database?.drop();
  });

  it('a key revoked by hand in the database by another process stops working at once, though it was cached', async () => {
    const { key, api } = await s.otherOrganization();
    expect((await api('GET', 'projects/')).status).toBe(200);
    expect((await api('GET', 'projects/')).status).toBe(200);
    await other.db.updateTable('api_keys').set({ revoked_at: now() }).where('key_hash', '=', hashApiKey(key)).execute();
    // On PostgreSQL word comes by NOTIFY (a trigger); on SQLite the commit is seen on the file within milliseconds.
    await sleep(name === 'postgres' ? 200 : 10);
    expect((await api('GET', 'projects/')).status).toBe(401);
    expect((await s.api('GET', 'projects/')).status).toBe(200);
  });
});

describe('a keep-alive connection presenting another key', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({}, { worker: false });
  });
  afterAll(async () => s?.stop());

  it('is authenticated by the key it presents now, not the one it presented before', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    const get = (key: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(`${s.url}/test_framework/v1/projects/`, { agent, headers: { 'X-CEKURA-API-KEY': key } }, (res) => {
          ports.add(res.socket.localPort!);
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
      });
    try {
      expect(await get(s.key)).toBe(200);
      expect(await get(`${s.key}x`)).toBe(401);
      expect(await get(s.key)).toBe(200);
      expect(await get('sk_scn_unknown')).toBe(401);
      // One connection carried them all.
      expect(ports.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
