import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore, startJob } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { type Api, startTestServer, type TestServer } from './helpers/server.js';

/**
 * A hostile-input sweep over every operation of our own `/openapi.json`, on SQLite and (with
 * SCENARIST_TEST_PG=1) PostgreSQL. Each operation gets a plausible body built from its schema, then
 * that body with one field at a time replaced by what databases and parsers choke on: NUL (U+0000)
 * in a value or a key, JSON nested thousands of levels deep, integers of 2³¹ and beyond, oversized
 * text. Path ids get other spellings of a real id and out-of-range numbers; query parameters the
 * same. Nothing may answer 5xx, every error must be in the seed's shape, no hostile value may be
 * accepted, and no rejected request may change a row. The jobs' worker is off, so the database only
 * changes through the requests themselves.
 */

const TABLES = [
  'organizations',
  'projects',
  'aiagents',
  'personalities',
  'test_profiles',
  'metrics',
  'knowledge_base_files',
  'tools',
  'folders',
  'scenarios',
  'scenario_revisions',
  'sessions',
  'session_messages',
  'jobs',
] as const;

const DEEP = 4_200;
const deepArray = '['.repeat(DEEP) + ']'.repeat(DEEP);
const deepObject = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`;

/**
 * Values no field may accept, each spliced into an otherwise plausible body as raw JSON. Integers
 * beyond 32 bits are hostile where an integer column is meant; free-form JSON may hold any number.
 */
const FREE_FORM = new Set(['information_fields', 'information', 'generated_mock_tool_entries', 'pending_tool_calls']);
const HOSTILE: Array<{ name: string; json: string; number?: true }> = [
  { name: 'NUL in text', json: JSON.stringify('before\u0000after') },
  { name: 'NUL inside a list', json: JSON.stringify(['ok', 'bad\u0000']) },
  { name: 'NUL in a key', json: JSON.stringify({ 'key\u0000': 'value', nested: { deeper: 'x\u0000' } }) },
  { name: 'deep array', json: deepArray },
  { name: 'deep object', json: deepObject },
  { number: true, name: '2^31', json: '2147483648' },
  { number: true, name: '2^63', json: '9223372036854775808' },
  { number: true, name: '-2^31-1', json: '-2147483649' },
];

const HOSTILE_IDS = ['0x1', '+1', '01', '1.0', '1e0', '2147483648', '9'.repeat(40), '-1', '%00', '1%00', 'x'.repeat(300)];
/** Query values: NUL is refused everywhere, other spellings and ranges only where an integer is documented. */
const HOSTILE_QUERY = {
  text: ['%00', 'a%00b'],
  integer: ['0x1', '+1', '01', '2147483648', '-1', '1%00'],
  harmless: ['x'.repeat(3000), '%E2%80%AE', "1'%20OR%201=1"],
};

interface Fixture {
  project: number;
  agent: number;
  personality: number;
  scenario: number;
  session: number;
  progressId: string;
  profile: number;
  metric: number;
  file: number;
}

type Schema = Record<string, any>;

function resolve(doc: Schema, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  while (s.$ref) s = doc.components.schemas[String(s.$ref).split('/').pop()!];
  return s;
}

/** A value the schema would plausibly accept, with real ids where a field names one; objects get their required keys. */
function plausible(doc: Schema, schema: Schema | undefined, name: string, f: Fixture, depth = 0): unknown {
  const s = resolve(doc, schema);
  const byName: Record<string, unknown> = {
    personality: f.personality,
    agent: f.agent,
    agent_id: f.agent,
    project: f.project,
    project_id: f.project,
    scenario_id: f.scenario,
    session_id: f.session,
    progress_id: f.progressId,
    revision: 1,
    history_id: 1,
    scenarios: [f.scenario],
    metrics: [f.metric],
    tool_ids: ['TOOL_DTMF'],
    id: 'TOOL_SWEEP',
    name: 'Sweep',
  };
  if (name in byName) return byName[name];
  if (depth > 3) return null;
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return plausible(doc, variants.find((v: Schema) => resolve(doc, v).type !== 'null') ?? variants[0], name, f, depth);
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  switch (s.type) {
    case 'string':
      return 'Sweep text';
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return false;
    case 'array':
      return s.minItems ? [plausible(doc, s.items, name, f, depth + 1)] : [];
    case 'object':
      return Object.fromEntries((s.required ?? []).map((k: string) => [k, plausible(doc, s.properties?.[k], k, f, depth + 1)]));
    default:
      return null;
  }
}

/** Bodies the operation accepts (or nearly), whose every leaf the sweep then replaces with a hostile value. */
function samples(doc: Schema, template: string, method: string, schema: Schema, f: Fixture): Record<string, unknown>[] {
  const route = `${method} ${template.replace('/test_framework/v1', '')}`;
  const known: Record<string, Record<string, unknown>[]> = {
    'POST /scenarios/scenario-agent/': [
      {
        apply_changes: true,
        updated_scenarios: [{ id: f.scenario, based_on_revision: 1, instructions: 'New', information_fields: { caller: 'Ann' }, tags: ['a'] }],
      },
      { scenarios: [f.scenario], user_message: 'Add the DTMF tool', agent_selections: { [f.scenario]: f.agent }, context: [{ role: 'user', content: 'Hi' }] },
      { agent_id: f.agent, user_message: 'Generate', num_scenarios: 1, tool_ids: ['TOOL_DTMF'], pending_tool_calls: [{ name: 'x' }] },
    ],
    'POST /scenarios/': [
      {
        name: 'Sweep',
        personality: f.personality,
        agent: f.agent,
        instructions: 'Say hi',
        information_fields: { caller: 'Ann' },
        tags: ['a'],
        generated_mock_tool_entries: [{ tool_id: 'T', new_entry: { input: { a: 1 }, output: 'x' } }],
      },
    ],
    'PATCH /scenarios/{id}/': [{ instructions: 'Say hi', information_fields: { caller: 'Ann' }, tags: ['a'], max_duration: 60 }],
    'POST /scenarios/bulk_create/': [{ scenarios: [{ name: 'Sweep', personality: f.personality, agent: f.agent, information_fields: { a: 'b' } }] }],
    'POST /scenarios/adv_update/': [{ scenarios: [f.scenario], agent: f.agent, tags: ['a'], append_instruction: 'More' }],
    'POST /test-profiles/': [{ agent: f.agent, name: 'Caller', information: { main_agent_variables: { name: 'Ann' } } }],
    'PATCH /test-profiles/{id}/': [{ information: { main_agent_variables: { name: 'Ann' } } }],
    'POST /scenarios/{id}/apply_instructions/': [{ progress_id: f.progressId }],
    'POST /scenarios/generate-instructions/': [
      { agent: f.agent, name: 'Sweep', extra_instructions: 'Be brief', personality: f.personality, information_fields: { a: 'b' } },
    ],
    'POST /scenarios/improve_instructions/': [{ agent: f.agent, extra_instructions: 'Be brief', current_instructions: 'Say hi' }],
  };
  return known[route] ?? [plausible(doc, schema, '', f) as Record<string, unknown>];
}

/** The JSON types the schema allows at a path of a body (empty when the schema does not say). */
function typedAt(doc: Schema, schema: Schema, path: Array<string | number>): string[] {
  let at: Schema | undefined = resolve(doc, schema);
  for (const k of path) {
    if (!at) return [];
    const options: Schema[] = (at.anyOf ?? at.oneOf ?? [at]).map((v: Schema) => resolve(doc, v));
    const next = options
      .map((o) => (typeof k === 'number' ? o.items : (o.properties?.[k] ?? (typeof o.additionalProperties === 'object' ? o.additionalProperties : undefined))))
      .find(Boolean);
    at = next ? resolve(doc, next) : undefined;
  }
  if (!at) return [];
  return (at.anyOf ?? at.oneOf ?? [at]).map((v: Schema) => resolve(doc, v).type).filter(Boolean);
}

/** Every path to a leaf of a JSON value (arrays and objects walked), plus each top-level key the schema names. */
function leafPaths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.length ? value.flatMap((v, i) => leafPaths(v, [...prefix, i])) : [prefix];
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length ? entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k])) : [prefix];
  }
  return [prefix];
}

/** The body with the value at `path` replaced by raw JSON text. */
function withHostile(body: Record<string, unknown>, path: Array<string | number>, json: string): string {
  const copy = structuredClone(body) as any;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  at[path[path.length - 1]!] = '__HOSTILE__';
  return JSON.stringify(copy).replace('"__HOSTILE__"', json);
}

/** The seed's error shapes: `{field: [messages]}` for a 400, `{detail}` for the others. */
function errorShapeProblem(status: number, body: unknown): string | null {
  if (status < 400) return null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'error body is not a JSON object';
  if (status === 400) {
    const bad = Object.entries(body).find(([k, v]) => k !== 'detail' && !(Array.isArray(v) && v.every((m) => typeof m === 'string')));
    return bad ? `400 field ${bad[0]} is not a list of messages` : null;
  }
  return typeof (body as { detail?: unknown }).detail === 'string' ? null : 'error body has no detail';
}

describe.each(testDatabases)('hostile input on $name', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let f: Fixture;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env, { worker: false });
    const db = s.running.store.db;
    const agent = await insertAgent(db, s.defaultProjectId);
    const personality = await personalityIdFromStore(db);
    const scenario = (await createScenario(s.api, { name: 'Target', agent, personality })).id;
    const job = await startJob(s.api, { scenarios: [scenario], user_message: 'Add the DTMF tool' });
    const profile = (await s.api('POST', 'test-profiles/', { agent, name: 'Caller', information: { user_name: 'Ann' } })).body.id;
    const metric = (await s.api('POST', 'metrics/', { project: s.defaultProjectId, name: 'Resolved', description: 'Was it resolved?' })).body.id;
    await s.api('POST', 'tools/', { id: 'TOOL_SWEEP_TARGET', name: 'Target tool' });
    const file = (
      await s.api('POST', 'knowledge-base-files/', {
        agent,
        files: [{ name: 'faq.txt', content_base64: Buffer.from('Opening hours: 9-5').toString('base64') }],
      })
    ).body;
    f = {
      project: s.defaultProjectId,
      agent,
      personality,
      scenario,
      session: job.session_id,
      progressId: job.progress_id,
      profile,
      metric,
      file: (Array.isArray(file) ? file[0] : file).id,
    };
  });
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  async function dump(): Promise<string> {
    const out: Record<string, unknown> = {};
    for (const t of TABLES) out[t] = await s.running.store.db.selectFrom(t).selectAll().orderBy('id').execute();
    return JSON.stringify(out);
  }

  it('answers every operation without a 5xx, accepts no hostile value and changes nothing when it refuses', async () => {
    const doc = (await s.as(null)('GET', '/openapi.json')).body;
    const failures: string[] = [];
    let serverErrors = 0;
    let sent = 0;
    let state = await dump();

    const send = async (label: string, method: string, url: string, body: string | undefined, hostile: boolean, api: Api = s.api) => {
      sent++;
      const res = await api(method, url, body, body === undefined ? {} : { 'content-type': 'application/json' });
      const where = `${method} ${url.slice(0, 120)} [${label}] → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`;
      if (res.status >= 500) serverErrors++;
      if (res.status >= 500) failures.push(where);
      else if (hostile && res.status < 400) failures.push(`accepted: ${where}`);
      const shape = errorShapeProblem(res.status, res.body);
      if (shape && res.status < 500) failures.push(`${shape}: ${where}`);
      const now = await dump();
      if (res.status >= 400 && now !== state) failures.push(`changed data: ${where}`);
      state = now;
    };

    // Deletes go last, so an id spelling that wrongly matched a real row cannot hide the rest.
    const operations = Object.entries<Schema>(doc.paths).flatMap(([template, methods]) =>
      Object.entries<Schema>(methods).map(([method, op]) => ({ template, method, op })),
    );
    operations.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));
    for (const { template, method, op } of operations) {
      if (!template.startsWith('/test_framework/')) continue;
      const owner = ['sessions', 'profiles', 'metrics', 'aiagents', 'personalities', 'projects', 'knowledge-base'].find((r) => template.includes(r));
      const realId =
        {
          sessions: f.session,
          profiles: f.profile,
          metrics: f.metric,
          aiagents: f.agent,
          personalities: f.personality,
          projects: f.project,
          'knowledge-base': f.file,
        }[owner ?? ''] ?? f.scenario;
      const realPath = template.replace('{id}', String(realId)).replace('{tool_id}', 'TOOL_SWEEP_TARGET');
      {
        const m = method.toUpperCase();
        const queryParams = (op.parameters ?? []).filter((p: Schema) => p.in === 'query');
        const query = queryParams.map((p: Schema) => p.name as string);
        const baseQuery = query.includes('progress_id') ? `progress_id=${f.progressId}` : '';

        // Other spellings of a real id, out-of-range numbers, NUL and an over-long segment in the path.
        if (template.includes('{')) {
          // Predefined tools are numbered below zero, so -1 is a real tool id there.
          for (const id of HOSTILE_IDS.filter((i) => !(i === '-1' && template.includes('{tool_id}')))) {
            const url = template.replace(/\{[^}]+\}/, id);
            const body = m === 'GET' || m === 'DELETE' ? undefined : '{}';
            await send(`path ${id.slice(0, 12)}`, m, `${url}${baseQuery ? `?${baseQuery}` : ''}`, body, true);
          }
        }
        // Hostile query values, one parameter at a time.
        if (m === 'GET') {
          for (const p of queryParams) {
            const integer = resolve(doc, p.schema).type === 'integer';
            const other = p.name === 'progress_id' ? '' : baseQuery;
            const values = [
              ...HOSTILE_QUERY.text.map((v) => [v, true] as const),
              ...(integer ? HOSTILE_QUERY.integer : []).map((v) => [v, true] as const),
              ...HOSTILE_QUERY.harmless.map((v) => [v, false] as const),
            ];
            for (const [v, hostile] of values)
              await send(`query ${p.name}=${v.slice(0, 12)}`, m, `${realPath}?${other ? `${other}&` : ''}${p.name}=${v}`, undefined, hostile);
          }
        }
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema || m === 'DELETE') continue;
        const url = `${realPath}${baseQuery ? `?${baseQuery}` : ''}`;
        for (const sample of samples(doc, template, m, schema, f)) {
          const paths = leafPaths(sample).filter((p) => p.length);
          for (const field of Object.keys(resolve(doc, schema).properties ?? {})) if (!(field in sample)) paths.push([field]);
          for (const path of paths) {
            for (const h of HOSTILE) {
              const withValue = path.length > 1 || path[0]! in sample ? sample : { ...sample, [path[0]!]: null };
              const freeForm = path.some((k) => FREE_FORM.has(String(k)));
              const integerField = typedAt(doc, schema, path).includes('integer');
              await send(`${path.join('.')}: ${h.name}`, m, url, withHostile(withValue, path, h.json), !(h.number && (freeForm || !integerField)));
            }
          }
        }
        // The whole body deep, and (for updates) nothing to change, which must answer like any other update.
        await send('deep body', m, realPath, deepArray, true);
        if (m === 'PATCH') await send('empty patch', m, realPath, '{}', false);
      }
    }
    console.log(`${name}: ${sent} requests, ${serverErrors} answered 5xx`);
    if (process.env.SWEEP_REPORT) (await import('node:fs')).writeFileSync(`${process.env.SWEEP_REPORT}.${name}`, failures.join('\n'));
    expect(failures, failures.slice(0, 30).join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 240_000);
});
