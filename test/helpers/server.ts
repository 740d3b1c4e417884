import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { isoNow, systemClock } from '../../src/domain/clock.js';
import { type Running, type StartOptions, startServer } from '../../src/server.js';
import { createApiKey, createOrganization } from '../../src/store/organizations.js';

export type Api = (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any; headers: Headers }>;

export interface TestServer {
  url: string;
  key: string;
  running: Running;
  dataDir: string;
  /** Calls the API as the default organization; paths are relative to /test_framework/v1/. */
  api: Api;
  /** Calls the API with any key (or none). */
  as(key: string | null): Api;
  /** A second organization with its own key and project, to prove isolation. */
  otherOrganization(): Promise<{ key: string; api: Api; projectId: number }>;
  defaultProjectId: number;
  stop(): Promise<void>;
}

function makeApi(base: string, key: string | null): Api {
  return async (method, url, body, headers = {}) => {
    const target = url.startsWith('/') ? base + url : `${base}/test_framework/v1/${url}`;
    const init: RequestInit = { method, headers: { ...(key ? { 'X-CEKURA-API-KEY': key } : {}), ...headers } };
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof FormData || body instanceof Uint8Array) init.body = body as BodyInit;
      else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] = 'application/json';
      }
    }
    const res = await fetch(target, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* non-JSON bodies are returned as text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Starts a real server on 127.0.0.1 with its own SQLite file (or DATABASE_URL from env overrides). */
export async function startTestServer(env: Record<string, string> = {}, opts: Pick<StartOptions, 'engine' | 'worker' | 'clock'> = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-test-'));
  const config = loadConfig({ SCENARIST_PORT: '0', SCENARIST_DATA_DIR: dataDir, SCENARIST_LOG_LEVEL: 'silent', ...env });
  const running = await startServer(config, { logger: false, ...opts });
  if (!running.bootstrapKey) throw new Error('test server expected an empty database');
  const project = await running.store.db.selectFrom('projects').select('id').orderBy('id').executeTakeFirstOrThrow();
  const key = running.bootstrapKey;
  return {
    url: running.url,
    key,
    running,
    dataDir,
    defaultProjectId: project.id,
    api: makeApi(running.url, key),
    as: (k) => makeApi(running.url, k),
    async otherOrganization() {
      const now = isoNow(systemClock);
      const org = await createOrganization(running.store.db, 'Other org', now);
      const { key: otherKey } = await createApiKey(running.store.db, org.id, 'other', now);
      const p = await running.store.db
        .insertInto('projects')
        .values({ organization_id: org.id, name: 'Other', description: '', max_call_duration: null, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { key: otherKey, api: makeApi(running.url, otherKey), projectId: p.id };
    },
    async stop() {
      await running.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
