import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoNow, systemClock } from '../src/domain/clock.js';
import { insertJob } from '../src/store/jobs.js';
import { NOT_PROJECT_OWNED, PROJECT_OWNED } from '../src/store/key-scope.js';
import { createApiKey } from '../src/store/organizations.js';
import { waitForInstructions, waitForJob } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { type Api, startTestServer, type TestServer } from './helpers/server.js';

/**
 * A key limited to one project, sent to every operation of /openapi.json with the ids of another
 * project of the same organization (in the path, the query and the body), never reads a row of
 * that project nor changes one. The same requests with the key's own ids do reach its own rows, so
 * the sweep is one that could find a leak.
 */

type Rows = Record<string, unknown>[];
type Dump = Record<string, Rows>;

/** Everything one project holds, each row named with the project's marker so a leak shows in any answer. */
interface Seeded {
  marker: string;
  project: number;
  agent: number;
  personality: number;
  profile: number;
  metric: number;
  tool: string;
  kb: number;
  folder: string;
  scenario: number;
  historyId: number;
  session: number;
  improve: string;
  instructions: string;
  generation: string;
  changeset: number;
  webhook: number;
  delivery: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ok(api: Api, method: string, url: string, body?: unknown) {
  const res = await api(method, url, body);
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function seed(api: Api, project: number, marker: string, hookUrl: string): Promise<Seeded> {
  const agent = (await ok(api, 'POST', 'aiagents/', { project, agent_name: `Agent ${marker}`, description: `Answers for ${marker}.` })).id;
  const personality = (await ok(api, 'POST', 'personalities/', { project, name: `Voice ${marker}`, prompt: `Speaks as ${marker}.`, language: 'en' })).id;
  const profile = (await ok(api, 'POST', 'test-profiles/', { project, agent, name: `Profile ${marker}`, information: { code: marker } })).id;
  const metric = (await ok(api, 'POST', 'metrics/', { project, agent, name: `Metric ${marker}`, description: `Judges ${marker}.` })).id;
  const tool = (await ok(api, 'POST', 'tools/', { project, tool_id: `TOOL_OF_PROJECT_${project}`, name: `Tool ${marker}`, description: `Looks up ${marker}.` }))
    .tool_id;
  const kb = (
    await ok(api, 'POST', 'knowledge-base-files/', {
      agent,
      files: [{ name: `kb-${marker}.md`, content_base64: Buffer.from(`# Facts\n${marker} refunds take 5 days.`).toString('base64') }],
    })
  )[0].id;
  const folder = `Folder${marker}`;
  await ok(api, 'POST', 'scenarios/create_folder/', { project_id: project, name: folder });
  const webhook = (await ok(api, 'POST', 'webhooks/', { project, url: hookUrl, events: ['changeset.applied'], description: `Hook ${marker}` })).id;
  const scenario = (
    await ok(api, 'POST', 'scenarios/', {
      name: `Scenario ${marker}`,
      agent,
      personality,
      folder_path: folder,
      tags: ['base'],
      tool_ids: [tool],
      metrics: [metric],
      test_profile: profile,
      instructions: `Ask about ${marker}.`,
    })
  ).id;
  await ok(api, 'PATCH', `scenarios/${scenario}/`, { first_message: `Hello from ${marker}` });
  const historyId = (await ok(api, 'GET', `scenarios/${scenario}/history/`)).results.at(-1).history_id;
  const session = (await ok(api, 'POST', 'scenario-improvement-sessions/', { project, title: `Session ${marker}`, scenario_selection: [scenario] })).id;
  const improve = (
    await ok(api, 'POST', 'scenarios/scenario-agent/', { scenarios: [scenario], session_id: session, user_message: `Tag them ${marker.toLowerCase()}` })
  ).progress_id;
  await waitForJob(api, improve);
  const instructions = (await ok(api, 'POST', `scenarios/${scenario}/improve_instructions/`, { user_message: `Mention ${marker}` })).progress_id;
  await waitForInstructions(api, instructions);
  const generation = (await ok(api, 'POST', 'scenarios/generate-bg/', { agent_id: agent, num_scenarios: 1, extra_instructions: `About ${marker}` }))
    .progress_id;
  for (let i = 0; (await ok(api, 'GET', `scenarios/generate-progress/?progress_id=${generation}`)).status === 'in_progress'; i++) {
    if (i > 200) throw new Error('the generation did not finish');
    await sleep(50);
  }
  await ok(api, 'POST', 'scenarios/adv_update/', { scenarios: [scenario], project, max_duration: 120 });
  const changeset = (await ok(api, 'GET', `changesets/?scenario_id=${scenario}`)).results[0].id;
  let delivery: { id: number; status: string } | undefined;
  for (let i = 0; delivery?.status !== 'delivered'; i++) {
    if (i > 200) throw new Error('the webhook was not delivered');
    await sleep(50);
    delivery = (await ok(api, 'GET', `webhooks/${webhook}/deliveries/`)).results[0];
  }
  return {
    marker,
    project,
    agent,
    personality,
    profile,
    metric,
    tool,
    kb,
    folder,
    scenario,
    historyId,
    session,
    improve,
    instructions,
    generation,
    changeset,
    webhook,
    delivery: delivery!.id,
  };
}

/** The id a path parameter names, by the resource the path is under. */
function pathValue(path: string, param: string, t: Seeded): string {
  if (param === 'delivery_id') return String(t.delivery);
  if (param === 'tool_id') return t.tool;
  const resource = path.split('/').filter(Boolean)[2] ?? '';
  const byResource: Record<string, number> = {
    aiagents: t.agent,
    personalities: t.personality,
    'test-profiles': t.profile,
    metrics: t.metric,
    'knowledge-base-files': t.kb,
    scenarios: t.scenario,
    'scenario-improvement-sessions': t.session,
    changesets: t.changeset,
    webhooks: t.webhook,
    projects: t.project,
    'projects-external': t.project,
  };
  if (!(resource in byResource)) throw new Error(`no id for {${param}} of ${path}`);
  return String(byResource[resource]);
}

/** The job a path's progress_id is about. */
const progressFor = (path: string, t: Seeded) => (path.includes('instructions') ? t.instructions : path.includes('generate') ? t.generation : t.improve);

/** A value for a field that names a row: the target project's row of that kind. */
function idValue(path: string, field: string, schema: any, t: Seeded): unknown {
  const many = schema?.type === 'array';
  const item = many ? schema.items : schema;
  const one = (v: unknown) => (many ? [v] : v);
  switch (field) {
    case 'project':
    case 'project_id':
    case 'copy_to_project':
      return t.project;
    case 'agent':
    case 'agent_id':
    case 'scenario_agent':
      return t.agent;
    case 'agents':
      return [t.agent];
    case 'personality':
      return t.personality;
    case 'personalities':
      return [t.personality];
    case 'test_profile':
      return t.profile;
    case 'metrics':
    case 'metric_ids_to_add':
    case 'metric_ids_to_remove':
      return [t.metric];
    case 'knowledge_base':
    case 'kb_file_ids':
    case 'hallucination_metric_kb_files':
    case 'generation_files':
      return [t.kb];
    case 'tool_ids':
    case 'tool_ids_to_add':
    case 'tool_ids_to_remove':
      return [t.tool];
    case 'scenario':
    case 'scenario_id':
    case 'id':
      return path.includes('tools') ? t.tool : t.scenario;
    case 'scenarios':
      // bulk_create takes scenario objects; every other route scenario ids.
      return item?.type === 'object' || item?.properties ? [{ name: 'Copy', personality: t.personality, project: t.project, agent: t.agent }] : one(t.scenario);
    case 'scenario_ids':
    case 'scenario_selection':
      return [t.scenario];
    case 'session_id':
      return t.session;
    case 'progress_id':
    case 'source_progress_id':
      return progressFor(path, t);
    case 'updated_scenarios':
      return [{ id: t.scenario, based_on_revision: 3, tags: ['moved'] }];
    case 'update':
      return [{ id: t.scenario, fields: { tags: ['moved'] } }];
    case 'delete':
      return [t.scenario];
    case 'path':
      return t.folder;
    case 'history_id':
      return t.historyId;
    default:
      return undefined;
  }
}

/** A plausible value for a required field that names nothing, so the request gets past validation. */
function plainValue(field: string, schema: any): unknown {
  if (field === 'url') return 'http://127.0.0.1:9/hook';
  if (field === 'events') return ['job.completed'];
  if (field === 'revision') return 1;
  if (field === 'num_scenarios') return 1;
  const type = schema?.type ?? schema?.anyOf?.find((s: any) => s.type && s.type !== 'null')?.type;
  if (schema?.enum) return schema.enum[0];
  if (type === 'string') return 'Sweep';
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return false;
  if (type === 'array') return [];
  if (type === 'object') return {};
  return 'Sweep';
}

function bodyFor(path: string, op: any, t: Seeded): Record<string, unknown> | undefined {
  const schema = op.requestBody?.content?.['application/json']?.schema;
  if (!schema?.properties) return op.requestBody ? {} : undefined;
  const body: Record<string, unknown> = {};
  for (const [field, fieldSchema] of Object.entries<any>(schema.properties)) {
    const id = idValue(path, field, fieldSchema, t);
    if (id !== undefined) body[field] = id;
    else if ((schema.required ?? []).includes(field)) body[field] = plainValue(field, fieldSchema);
  }
  return body;
}

function queryFor(path: string, op: any, t: Seeded): string {
  const parts: string[] = [];
  for (const p of op.parameters ?? []) {
    if (p.in !== 'query') continue;
    const v = p.name === 'file_ids' ? String(t.kb) : idValue(path, p.name, p.schema, t);
    if (v !== undefined && !Array.isArray(v)) parts.push(`${p.name}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The project a row belongs to, through its parent row for a table that has no project of its own. */
function projectOf(d: Dump, table: string, row: Record<string, unknown>): number | null {
  const own = (PROJECT_OWNED as Record<string, { column?: string; parent?: string; via?: string }>)[table]!;
  if (own.column) return row[own.column] as number | null;
  const parent = d[own.parent!]!.find((r) => r.id === row[own.via!]);
  return parent ? projectOf(d, own.parent!, parent) : null;
}

/** The answer's text less every string the request itself sent: an error naming a value it was given shows nothing. */
function answerText(body: unknown, url: string, sent: unknown): string {
  const strings: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') strings.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk(sent);
  for (const [, v] of new URL(url, 'http://x').searchParams) strings.push(v);
  let text = JSON.stringify(body);
  for (const str of strings.filter((x) => x.length > 3).sort((a, b) => b.length - a.length)) text = text.split(str).join('');
  return text;
}

/** Columns that name a row a project owns. */
const REFERENCE_COLUMNS: Record<string, string> = {
  agent_id: 'aiagents',
  personality_id: 'personalities',
  test_profile_id: 'test_profiles',
  scenario_id: 'scenarios',
  session_id: 'sessions',
  job_id: 'jobs',
  changeset_id: 'changesets',
  webhook_id: 'webhooks',
};

/** Rows of one project that name a row of another (a metric in a scenario's list counts too). */
function crossProjectReferences(d: Dump): string[] {
  const problems: string[] = [];
  const check = (table: string, row: Record<string, unknown>, target: string, id: unknown) => {
    const named = d[target]?.find((r) => r.id === id);
    if (!named) return;
    const [from, to] = [projectOf(d, table, row), projectOf(d, target, named)];
    if (from !== null && to !== null && from !== to) problems.push(`${table} ${row.id} (project ${from}) names ${target} ${id} of project ${to}`);
  };
  for (const [table, rows] of Object.entries(d)) {
    for (const row of rows) {
      for (const [column, target] of Object.entries(REFERENCE_COLUMNS)) if (row[column] != null) check(table, row, target, row[column]);
      if (table === 'scenarios') for (const m of JSON.parse(String(row.metrics ?? '[]')) as number[]) check(table, row, 'metrics', m);
    }
  }
  return problems;
}

describe.each(testDatabases)('a key limited to one project, on $name', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let receiver: http.Server;
  let mine: Seeded;
  let theirs: Seeded;
  let scoped: Api;
  let scopedKeyId: number;
  let orgKeyId: number;
  let orgId: number;

  const dump = async (): Promise<Dump> => {
    const db = s.running.store.db as unknown as { selectFrom(t: string): any };
    const out: Dump = {};
    for (const t of Object.keys(PROJECT_OWNED)) out[t] = await db.selectFrom(t).selectAll().orderBy('id').execute();
    return JSON.parse(JSON.stringify(out));
  };
  const ofProject = (d: Dump, project: number) =>
    Object.fromEntries(Object.entries(d).map(([t, rows]) => [t, rows.filter((r) => projectOf(d, t, r) === project)]));

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      req.resume();
      res.statusCode = 204;
      res.end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    database = await suiteDatabase(name);
    s = await startTestServer({ SCENARIST_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', SCENARIST_WEBHOOK_POLL_MS: '25', ...database.env });
    const other = (await ok(s.api, 'POST', '/user/v1/projects/', { name: 'Other project' })).id;
    mine = await seed(s.api, s.defaultProjectId, 'MARKMINEQ7', hookUrl);
    theirs = await seed(s.api, other, 'MARKTHEIRSZ4', hookUrl);
    const { organization_id } = await s.running.store.db.selectFrom('projects').select('organization_id').where('id', '=', other).executeTakeFirstOrThrow();
    const made = await createApiKey(s.running.store.db, organization_id, 'limited', isoNow(systemClock), s.defaultProjectId);
    scoped = s.as(made.key);
    scopedKeyId = made.row.id;
    orgId = organization_id;
    orgKeyId = (await s.running.store.db.selectFrom('api_keys').select('id').where('project_id', 'is', null).orderBy('id').executeTakeFirstOrThrow()).id;
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
    receiver?.close();
  });

  it('every table is either owned by a project (directly or through its parent) or by no project', async () => {
    // Ours only: on PostgreSQL the job queue keeps its tables in a schema of its own.
    const tables = (await s.running.store.db.introspection.getTables())
      .filter((t) => !t.schema || t.schema === 'public')
      .map((t) => t.name)
      .filter((t) => !t.startsWith('kysely_'));
    expect([...Object.keys(PROJECT_OWNED), ...NOT_PROJECT_OWNED].sort()).toEqual(tables.sort());
  });

  it("reaches the key's own rows with the same requests", async () => {
    const doc = (await s.as(null)('GET', '/openapi.json')).body;
    const reached = new Set<string>();
    for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
      if (path.startsWith('/admin/') || !methods.get) continue;
      const url = path.replace(/\{([^}]+)\}/g, (_, p) => pathValue(path, p, mine)) + queryFor(path, methods.get, mine);
      const res = await scoped('GET', url);
      if (res.status === 200 && JSON.stringify(res.body).includes(mine.marker)) reached.add(path);
    }
    // Agents, personalities, profiles, metrics, files, tools, scenarios, sessions, changesets, webhooks, jobs: each by id and by list.
    expect(reached.size, [...reached].join('\n')).toBeGreaterThanOrEqual(25);
    // What the org-wide key sees of the other project, the limited key does not.
    expect((await scoped('GET', `scenarios/?project_id=${theirs.project}`)).body.count).toBe(0);
    expect((await s.api('GET', `scenarios/?project_id=${theirs.project}`)).body.count).toBeGreaterThan(0);
  });

  /**
   * Sends the requests `variants` makes of every operation with the limited key; answers what was
   * wrong (a 5xx, an answer showing the other project) and how many were sent.
   */
  const sweep = async (variants: (path: string, method: string, op: any) => Array<{ url: string; body: unknown }>) => {
    const doc = (await s.as(null)('GET', '/openapi.json')).body;
    const problems: string[] = [];
    let sent = 0;
    for (const [path, methods] of Object.entries<Record<string, any>>(doc.paths)) {
      if (path.startsWith('/admin/')) continue;
      for (const [method, op] of Object.entries<any>(methods)) {
        for (const v of variants(path, method, op)) {
          const res = await scoped(method.toUpperCase(), v.url, v.body);
          sent++;
          const text = answerText(res.body, v.url, v.body);
          const what = `${method} ${v.url} ${JSON.stringify(v.body ?? '').slice(0, 150)} → ${res.status}`;
          if (res.status >= 500) problems.push(`${what} ${text.slice(0, 200)}`);
          if (text.includes(theirs.marker)) problems.push(`${what} shows the other project: ${text.slice(0, 300)}`);
        }
      }
    }
    return { problems, sent };
  };

  it("never reads nor changes another project's rows, on any operation", async () => {
    const before = ofProject(await dump(), theirs.project);
    const { problems, sent } = await sweep((path, _method, op) => [
      { url: path.replace(/\{([^}]+)\}/g, (_, p) => pathValue(path, p, theirs)) + queryFor(path, op, theirs), body: bodyFor(path, op, theirs) },
    ]);
    expect(problems, problems.join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(100);
    // Let whatever the requests started (a job, a webhook) run before looking.
    await sleep(500);
    expect(ofProject(await dump(), theirs.project)).toEqual(before);
  }, 120_000);

  it("with the key's own ids and one of another project's in a body or query field, still reaches none of that project's rows nor links to one", async () => {
    const before = ofProject(await dump(), theirs.project);
    const { problems, sent } = await sweep((path, method, op) => {
      // Deleting the key's own project would leave nothing for the operations after it to reach.
      if (method === 'delete' && path.includes('projects')) return [];
      const url = path.replace(/\{([^}]+)\}/g, (_, p) => pathValue(path, p, mine));
      const ownBody = bodyFor(path, op, mine);
      const ownQuery = queryFor(path, op, mine);
      const theirBody = bodyFor(path, op, theirs) ?? {};
      const fields = Object.keys(ownBody ?? {}).filter((f) => JSON.stringify(ownBody![f]) !== JSON.stringify(theirBody[f]));
      const queries = (op.parameters ?? []).filter((p: any) => p.in === 'query' && queryFor(path, { parameters: [p] }, theirs));
      return [
        ...fields.map((f) => ({ url: url + ownQuery, body: { ...ownBody, [f]: theirBody[f] } })),
        ...queries.map((p: any) => ({ url: url + queryFor(path, { parameters: [p] }, theirs), body: ownBody })),
      ];
    });
    expect(problems, problems.join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(150);
    await sleep(500);
    const after = await dump();
    expect(ofProject(after, theirs.project)).toEqual(before);
    expect(crossProjectReferences(after)).toEqual([]);
  }, 180_000);

  it("runs the key's jobs under its limit in the worker: a job naming another project's scenario finds none, as a deleted one", async () => {
    const job = async (createdBy: number) => {
      const row = await insertJob(
        s.running.store.db,
        {
          organizationId: orgId,
          projectId: mine.project,
          sessionId: null,
          kind: 'improve',
          mode: 'improve',
          request: {
            user_message: 'Add the tag swept',
            scenario_ids: [theirs.scenario],
            agent_id: null,
            project_id: mine.project,
            agent_selections: {},
            resumed: false,
          },
          maxAttempts: 2,
          createdBy,
        },
        isoNow(systemClock),
      );
      return waitForJob(s.api, row.progress_id);
    };
    const limited = await job(scopedKeyId);
    expect(limited.result.updated_scenarios).toEqual([]);
    expect(limited.result.validation_issues).toContainEqual(
      expect.objectContaining({ scenario_id: theirs.scenario, message: expect.stringMatching(/deleted/) }),
    );
    // The same job started by a key of the whole organization reaches the scenario: the limit is what stopped it.
    const whole = await job(orgKeyId);
    expect(whole.result.updated_scenarios.map((u: { id: number }) => u.id)).toEqual([theirs.scenario]);
  });

  it('creates what it writes in its own project, and cannot move a row into another or out to the whole organization', async () => {
    const made = await scoped('POST', 'personalities/', { name: 'No project given', prompt: 'Calm.', language: 'en' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.project).toBe(mine.project);
    expect((await scoped('POST', '/user/v1/projects/', { name: 'Escape' })).status).toBe(400);
    expect((await scoped('PATCH', `personalities/${made.body.id}/`, { project: theirs.project })).status).toBeGreaterThanOrEqual(400);
    expect((await scoped('PATCH', `personalities/${made.body.id}/`, { project: null })).status).toBe(400);
    expect((await s.api('GET', `personalities/${made.body.id}/`)).body.project).toBe(mine.project);
  });
});
