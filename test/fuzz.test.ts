import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendTurn, createSession } from '../src/store/sessions.js';
import { createScenario, insertAgent, personalityIdFromStore, startJob, waitForJob } from './helpers/agent.js';
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

type Rows = Record<string, any>[];
type Dump = Record<string, Rows>;

/** Process-wide tables that hold no organization's data; every other table is dumped and checked. */
const NOT_ORGANIZATION_DATA = new Set(['settings']);

/** Tables without an organization_id column reach their organization through a parent row. */
const PARENT: Record<string, { column: string; table: string }> = {
  session_messages: { column: 'session_id', table: 'sessions' },
  job_batches: { column: 'job_id', table: 'jobs' },
};

/**
 * Columns that hold the id of another row of ours: the row they name must belong to the same
 * organization. Every column named `*_id` must be listed here or in NOT_REFERENCES.
 */
const REFERENCES: Record<string, string> = {
  organization_id: 'organizations',
  project_id: 'projects',
  agent_id: 'aiagents',
  personality_id: 'personalities',
  test_profile_id: 'test_profiles',
  scenario_id: 'scenarios',
  session_id: 'sessions',
  job_id: 'jobs',
  actor_key_id: 'api_keys',
  changeset_id: 'changesets',
  reverts_changeset_id: 'changesets',
  // The key that made the row; no foreign key holds it, so a deleted key leaves the id behind.
  created_by: 'api_keys',
};
const MAY_DANGLE = new Set(['created_by']);
/** Columns that name a row of ours by its public id rather than its row id. */
const BY_PUBLIC_ID: Record<string, { table: string; key: string }> = {
  // The job whose suggestions a revision applied.
  source_progress_id: { table: 'jobs', key: 'progress_id' },
};
/** Columns named `*_id` that hold an outside id (the provider's assistant, a tool's name, a job's public id). */
const NOT_REFERENCES = new Set(['assistant_id', 'tool_id', 'progress_id']);

/** Every table of the database, read from the database itself so a new table cannot be left out. */
async function tables(): Promise<string[]> {
  const all = await s.running.store.db.introspection.getTables();
  return all
    .map((t) => t.name)
    .filter((name) => !NOT_ORGANIZATION_DATA.has(name))
    .sort();
}

async function dump(names: string[]): Promise<Dump> {
  const db = s.running.store.db as unknown as { selectFrom(t: string): any };
  const out: Dump = {};
  for (const t of names) out[t] = await db.selectFrom(t).selectAll().orderBy('id').execute();
  // A key's "last used" moves whenever it is used, refused request or not: that is no change to data.
  for (const k of out.api_keys ?? []) delete k.last_used_at;
  return JSON.parse(JSON.stringify(out));
}

/** The organization a row belongs to, following its owner chain; throws for a table the test cannot place. */
function organizationOf(d: Dump, table: string, row: Record<string, any>): number {
  if (table === 'organizations') return row.id;
  if ('organization_id' in row) return row.organization_id;
  const parent = PARENT[table];
  if (!parent) throw new Error(`${table} has no organization_id column and no entry in PARENT: say how its rows reach their organization`);
  const owner = d[parent.table]?.find((r) => r.id === row[parent.column]);
  if (!owner) throw new Error(`${table} ${row.id}: ${parent.column} ${row[parent.column]} names no ${parent.table} row`);
  return organizationOf(d, parent.table, owner);
}

/** Rows that name a row of another organization (or a column the test does not know). */
function crossOrganizationReferences(d: Dump): string[] {
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(d)) {
    for (const row of rows) {
      const org = organizationOf(d, table, row);
      for (const [column, value] of Object.entries(row)) {
        if (NOT_REFERENCES.has(column) || (!column.endsWith('_id') && !(column in REFERENCES))) continue;
        const target = REFERENCES[column] ?? BY_PUBLIC_ID[column]?.table;
        if (!target) {
          problems.push(`${table}.${column}: unknown reference column (add it to REFERENCES, BY_PUBLIC_ID or NOT_REFERENCES)`);
          continue;
        }
        if (value === null) continue;
        const key = BY_PUBLIC_ID[column]?.key ?? 'id';
        const named = d[target]?.find((r) => r[key] === value);
        if (!named) {
          if (!MAY_DANGLE.has(column)) problems.push(`${table} ${row.id}: ${column} ${value} names no ${target} row`);
        } else if (organizationOf(d, target, named) !== org) {
          problems.push(`${table} ${row.id} (organization ${org}) names ${target} ${value} of organization ${organizationOf(d, target, named)}`);
        }
      }
    }
  }
  return problems;
}

const HOSTILE_IDS = ['-1', '0', 'abc', '1e309', '..%2F..%2Fetc', '99999999999', '%00', "1'%20OR%201=1", '2147483648'];
const HOSTILE_VALUES: unknown[] = [
  null,
  -1,
  0,
  1e308,
  'x'.repeat(5000),
  '\u0000\u202e',
  [],
  {},
  [[[[[]]]]],
  { __proto__: { admin: true } },
  true,
  '1; DROP TABLE scenarios',
  { $gt: '' },
];

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
  // A session with a turn, so a table without organization_id (session_messages) is in the dump.
  const db = s.running.store.db;
  const key = await db.selectFrom('api_keys').select(['id', 'organization_id']).orderBy('id').executeTakeFirstOrThrow();
  const now = new Date().toISOString();
  const session = await createSession(
    db,
    { organizationId: key.organization_id, projectId: s.defaultProjectId, title: 'Target', scenarioIds: [realIds[0]!], createdBy: key.id },
    now,
  );
  await appendTurn(db, session.id, { role: 'user', content: 'Make it harder.' }, now);
  // An applied suggestion, so a revision names the job it applied (by its public id).
  const improved = await startJob(s.api, { scenarios: [realIds[0]!], user_message: 'Add tag reviewed' });
  const suggested = await waitForJob(s.api, improved.progress_id);
  await waitForJob(
    s.api,
    (await startJob(s.api, { apply_changes: true, updated_scenarios: suggested.result.updated_scenarios, session_id: improved.session_id })).progress_id,
  );
});
afterAll(async () => s?.stop());

describe('hostile input', () => {
  it('never yields a 5xx or a change, on any route', async () => {
    const doc = (await s.as(null)('GET', '/openapi.json')).body;
    const other = await s.otherOrganization();
    const names = await tables();
    expect(names).toEqual(expect.arrayContaining(['organizations', 'scenarios', 'sessions', 'session_messages', 'jobs']));
    const was = await dump(names);
    expect(was.session_messages!.length).toBeGreaterThanOrEqual(1);
    expect(was.scenario_revisions!.some((r) => r.source_progress_id !== null)).toBe(true);
    expect(crossOrganizationReferences(was)).toEqual([]);
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
    // Rows that existed are untouched; the only new rows are the other organization's own (an
    // empty session it may legitimately create), and no row names another organization's row.
    const after = await dump(names);
    const otherOrganizationId = after.projects!.find((p) => p.id === other.projectId)!.organization_id;
    for (const t of names) {
      const kept = after[t]!.filter((row) => was[t]!.some((w) => w.id === row.id));
      expect(kept, t).toEqual(was[t]);
      const added = after[t]!.filter((row) => !was[t]!.some((w) => w.id === row.id));
      for (const row of added) expect(organizationOf(after, t, row), `${t} gained a row outside the other organization`).toBe(otherOrganizationId);
    }
    expect(crossOrganizationReferences(after)).toEqual([]);
  }, 60_000);
});
