import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, personalityId } from './helpers/agent.js';
import { createTestDatabase, pgEnabled } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Every text search and text filter of the API, through HTTP. A search matches its text literally
 * ("%" and "_" are characters, not wildcards) and ignores case, on SQLite and on PostgreSQL
 * (SCENARIST_TEST_PG=1), whose LIKE differ in case and in their escape character.
 */

let s: TestServer;
let personality: number;
let pgDb: Awaited<ReturnType<typeof createTestDatabase>> | undefined;

beforeAll(async () => {
  pgDb = pgEnabled ? await createTestDatabase() : undefined;
  s = await startTestServer(pgDb ? { DATABASE_URL: pgDb.url } : {});
  personality = await personalityId(s.api);
});
afterAll(async () => {
  await s?.stop();
  await pgDb?.drop();
});

/** Names that a wildcard or a case-sensitive match would confuse. */
const NAMES = ['50% off', '500 off', 'under_score', 'underscore', 'Back\\slash', 'Mixed Case'];

const newProject = async (name: string): Promise<number> => (await s.api('POST', 'projects/', { name })).body.id;

/** `found` answers the names a search finds; `alsoIds` when it matches ids too, which all hold "_". */
async function expectLiteralSearch(found: (text: string) => Promise<string[]>, alsoIds = false): Promise<void> {
  expect(await found('50%')).toEqual(['50% off']);
  expect(await found('0% ')).toEqual(['50% off']);
  expect(await found('under_')).toEqual(['under_score']);
  expect(await found('k\\s')).toEqual(['Back\\slash']);
  expect(await found('mixed CASE')).toEqual(['Mixed Case']);
  expect(await found('OFF')).toEqual(['50% off', '500 off']);
  expect(await found('%')).toEqual(['50% off']);
  if (!alsoIds) expect(await found('_')).toEqual(['under_score']);
  expect(await found('no such name')).toEqual([]);
}

/** One row per search: how to create a named object in a project, and the list URL with the search. */
const SEARCHES: Array<{
  what: string;
  create: (project: number, name: string, i: number) => Promise<unknown>;
  list: (project: number, q: string) => string;
  name: string;
  alsoIds?: boolean;
}> = [
  {
    what: 'scenarios (search)',
    create: (project, name) => createScenario(s.api, { name, project, personality }),
    list: (p, q) => `scenarios/?project_id=${p}&search=${q}`,
    name: 'name',
  },
  {
    what: 'folders (search)',
    create: (project, name) => s.api('POST', 'scenarios/create_folder/', { name, project_id: project }),
    list: (p, q) => `scenarios/folders/?project_id=${p}&search=${q}`,
    name: 'name',
  },
  {
    what: 'agents (q)',
    create: (project, name) => s.api('POST', 'aiagents/', { project, agent_name: name }),
    list: (p, q) => `aiagents/?project_id=${p}&q=${q}`,
    name: 'agent_name',
  },
  {
    what: 'tools (search, by name or id)',
    create: (project, name, i) => s.api('POST', 'tools/', { id: `TOOL_FIND${i}`, name, project }),
    list: (p, q) => `tools/?project_id=${p}&search=${q}&page_size=100`,
    name: 'name',
    alsoIds: true,
  },
];

describe('searches match their text literally and ignore case', () => {
  it.each(SEARCHES)('$what', async ({ what, create, list, name, alsoIds }) => {
    const project = await newProject(what);
    for (const [i, n] of NAMES.entries()) await create(project, n, i);
    await expectLiteralSearch(async (text) => {
      const res = await s.api('GET', list(project, encodeURIComponent(text)));
      expect(res.status).toBe(200);
      // Predefined tools match a search by their own names; only this project's objects are compared.
      const found = res.body.results.filter((r: { is_predefined?: boolean }) => !r.is_predefined).map((r: Record<string, string>) => r[name]!);
      return found.sort((a: string, b: string) => NAMES.indexOf(a) - NAMES.indexOf(b));
    }, alsoIds);
  });

  it('tools also match their id, ignoring case', async () => {
    const project = await newProject('Tool ids');
    await s.api('POST', 'tools/', { id: 'TOOL_BY_ID', name: 'Named otherwise', project });
    expect((await s.api('GET', `tools/?project_id=${project}&search=tool_by_`)).body.results.map((t: { name: string }) => t.name)).toEqual(['Named otherwise']);
  });
});

describe('the in-use checks before a delete find exactly the scenarios that name the object', () => {
  it('a tool whose id holds "_" is in use by the scenario naming it, not by one naming a look-alike', async () => {
    const project = await newProject('Tool in use');
    for (const id of ['TOOL_A_B', 'TOOL_AXB']) await s.api('POST', 'tools/', { id, name: id, project });
    const sc = await createScenario(s.api, { name: 'Uses A_B', project, personality, tool_ids: ['TOOL_A_B'] });
    expect((await s.api('DELETE', 'tools/TOOL_A_B/')).body).toEqual({ non_field_errors: ['1 scenario uses this tool; remove it from it first.'] });
    expect((await s.api('DELETE', 'tools/TOOL_AXB/')).status).toBe(204);
    expect((await s.api('GET', 'tools/TOOL_A_B/')).status).toBe(200);
    expect((await s.api('DELETE', `scenarios/${sc.id}/`)).status).toBe(204);
    expect((await s.api('DELETE', 'tools/TOOL_A_B/')).status).toBe(204);
  });

  it('a metric is in use by the scenario listing its id, not by one listing an id that contains it', async () => {
    const project = await newProject('Metric in use');
    const agent = (await s.api('POST', 'aiagents/', { project, agent_name: 'Metric bot' })).body.id;
    const ids: number[] = [];
    // Enough metrics that one id is a substring of another (2 of 12, 1 of 11, …).
    for (let i = 0; i < 12; i++) ids.push((await s.api('POST', 'metrics/', { agent, name: `Metric ${i}` })).body.id);
    const long = ids.find((id) => ids.some((other) => other !== id && String(id).includes(String(other))))!;
    const short = ids.find((other) => other !== long && String(long).includes(String(other)))!;
    expect([long, short].every(Number.isInteger), `ids ${ids} hold no pair where one contains the other`).toBe(true);
    await createScenario(s.api, { name: 'Uses the long id', project, personality, agent, metrics: [long] });
    expect((await s.api('DELETE', `metrics/${long}/`)).body).toEqual({ non_field_errors: ['1 scenario uses this metric; remove it from it first.'] });
    expect((await s.api('DELETE', `metrics/${short}/`)).status).toBe(204);
  });
});
