import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore } from './helpers/agent.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Hostile input at every route of our OpenAPI document: malformed and oversized bodies, wrong
 * types, hostile ids and query strings, wrong content types, another organization's ids. Nothing
 * may answer 5xx, every error must be a JSON object, and the database must be exactly as before.
 */

let s: TestServer;
let realIds: number[] = [];

/** A small deterministic generator, so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const TABLES = ['organizations', 'api_keys', 'projects', 'aiagents', 'personalities', 'test_profiles', 'metrics', 'knowledge_base_files', 'tools', 'folders', 'scenarios', 'scenario_revisions', 'sessions', 'session_messages', 'jobs'] as const;

async function dump(): Promise<string> {
  const out: Record<string, unknown> = {};
  for (const t of TABLES) out[t] = await s.running.store.db.selectFrom(t).selectAll().orderBy('id').execute();
  // A key's "last used" moves whenever it is used, refused request or not: that is no change to data.
  for (const k of out.api_keys as Array<{ last_used_at?: unknown }>) delete k.last_used_at;
  return JSON.stringify(out);
}

const HOSTILE_IDS = ['-1', '0', 'abc', '1e309', '..%2F..%2Fetc', '99999999999', '%00', "1'%20OR%201=1", '2147483648'];
const HOSTILE_VALUES: unknown[] = [null, -1, 0, 1e308, 'x'.repeat(5000), '\u0000\u202e', [], {}, [[[[[]]]]], { __proto__: { admin: true } }, true, '1; DROP TABLE scenarios', { $gt: '' }];

function hostileBody(r: () => number, fields: string[]): { body: string; type: string } {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const kind = Math.floor(r() * 8);
  if (kind === 0) return { body: '{"unterminated": ', type: 'application/json' };
  if (kind === 1) return { body: JSON.stringify(pick([[1, 2], 'string', 42, null, true])), type: 'application/json' };
  if (kind === 2) return { body: JSON.stringify({ pad: 'x'.repeat(1_200_000) }), type: 'application/json' };
  if (kind === 3) return { body: 'name=x&project=1', type: 'text/plain' };
  if (kind === 4) return { body: '--b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n\r\njunk', type: 'multipart/form-data; boundary=b' };
  if (kind === 5) {
    let nested: unknown = 1;
    for (let i = 0; i < 2000; i++) nested = [nested];
    return { body: JSON.stringify({ deep: nested, __fuzz_unknown__: 1 }), type: 'application/json' };
  }
  // Wrong values for the route's own fields, plus one unknown key so no such body can be valid.
  const body: Record<string, unknown> = { __fuzz_unknown__: true, constructor: { prototype: { polluted: 1 } } };
  for (const f of fields) if (r() < 0.7) body[f] = pick(HOSTILE_VALUES);
  return { body: JSON.stringify(body), type: 'application/json' };
}

beforeAll(async () => {
  s = await startTestServer();
  const agent = await insertAgent(s.running.store.db, s.defaultProjectId);
  const personality = await personalityIdFromStore(s.running.store.db);
  realIds = [(await createScenario(s.api, { name: 'Target', agent, personality })).id, agent, personality];
});
afterAll(async () => s?.stop());

describe('hostile input', () => {
  it('never yields a 5xx or a change, on any route', async () => {
    const doc = (await s.as(null)('GET', '/openapi.json')).body;
    const other = await s.otherOrganization();
    const before = await dump();
    const r = rng(20261123);
    const failures: string[] = [];
    let sent = 0;
    const send = async (api: typeof s.api, method: string, url: string, body?: { body: string; type: string }) => {
      sent++;
      const res = await api(method, url, body?.body, body ? { 'content-type': body.type } : {});
      const ok = res.status < 500 && (res.status < 400 || (typeof res.body === 'object' && res.body !== null && !Array.isArray(res.body)));
      if (!ok) failures.push(`${method} ${url} ${body ? body.body.slice(0, 80) : ''} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    };
    for (const [p, methods] of Object.entries<Record<string, any>>(doc.paths)) {
      if (!p.startsWith('/test_framework/')) continue;
      for (const [method, op] of Object.entries<any>(methods)) {
        const m = method.toUpperCase();
        const fields = Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {});
        const queryNames = (op.parameters ?? []).filter((x: any) => x.in === 'query').map((x: any) => x.name as string);
        const ids = p.includes('{') ? [...HOSTILE_IDS, ...realIds.map(String)] : [''];
        for (const id of ids) {
          const url = p.replace(/\{[^}]+\}/g, id);
          if (m === 'GET') {
            const q = queryNames.map((n: string) => `${n}=${encodeURIComponent(String(HOSTILE_VALUES[Math.floor(r() * HOSTILE_VALUES.length)]))}`).join('&');
            await send(s.api, m, `${url}?${q}&page=-3&page_size=99999999`);
            await send(other.api, m, url);
          } else if (m === 'DELETE') {
            // Only another organization's key may send deletes: ours would succeed on real ids.
            await send(other.api, m, url);
          } else {
            for (let i = 0; i < 4; i++) await send(i % 2 ? other.api : s.api, m, url, hostileBody(r, fields));
            await send(other.api, m, url, { body: JSON.stringify({}), type: 'application/json' });
          }
        }
      }
    }
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(300);
    // The instructions routes are among those hit.
    for (const p of ['generate-instructions/', 'improve_instructions/', '{id}/improve_instructions/', 'instructions-progress/', '{id}/apply_instructions/']) {
      expect(Object.keys(doc.paths)).toContain(`/test_framework/v1/scenarios/${p}`);
    }
    // Rows that existed are untouched; the only new rows are the other organization's own
    // (an empty session it may legitimately create).
    const after = JSON.parse(await dump());
    const was = JSON.parse(before);
    for (const t of TABLES) {
      const kept = after[t].filter((row: any) => was[t].some((w: any) => w.id === row.id));
      expect(kept, t).toEqual(was[t]);
      const added = after[t].filter((row: any) => !was[t].some((w: any) => w.id === row.id));
      for (const row of added) expect(row.organization_id, `${t} gained a row outside the other organization`).not.toBe(was.organizations[0].id);
    }
  }, 60_000);
});
