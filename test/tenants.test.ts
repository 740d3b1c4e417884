import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore } from './helpers/agent.js';
import { type CliRunner, cliRunner } from './helpers/cli.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const OPERATOR_KEY = 'op_test_0123456789abcdefghijklmnop';

describe.each(testDatabases)('organizations and keys on $name', ({ name }) => {
  let s: TestServer;
  let cli: CliRunner;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let dbEnv: Record<string, string>;

  beforeAll(async () => {
    database = await suiteDatabase(name);
    // A long key cache, so only the revocation stamp can make a revoked key fail at once.
    s = await startTestServer({ SCENARIST_AUTH_CACHE_MS: '600000', SCENARIST_OPERATOR_KEY: OPERATOR_KEY, ...database.env });
    dbEnv = database.env.DATABASE_URL ? database.env : { SCENARIST_DATA_DIR: s.dataDir };
    cli = await cliRunner(s);
  });
  afterAll(async () => {
    cli?.dispose();
    await s?.stop();
    await database?.drop();
  });

  it('a second organization made with `scenarist orgs create` works at once and sees nothing of the first', async () => {
    const agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    const mine = await createScenario(s.api, { name: 'Ours', agent, personality: await personalityIdFromStore(s.running.store.db) });

    const made = await cli(['orgs', 'create', 'Acme', '--json'], { env: dbEnv });
    expect(made.code, made.stderr).toBe(0);
    const acme = JSON.parse(made.stdout);
    expect(acme).toMatchObject({ name: 'Acme', key: expect.stringMatching(/^sk_scn_/), project_id: expect.any(Number) });
    const theirs = s.as(acme.key);
    expect((await theirs('GET', 'projects/')).body.map((p: any) => p.id)).toEqual([acme.project_id]);
    expect((await theirs('GET', `scenarios/${mine.id}/`)).status).toBe(404);
    expect((await theirs('GET', `scenarios/?project_id=${s.defaultProjectId}`)).body.count).toBe(0);
    expect((await theirs('GET', 'personalities/')).body.length).toBeGreaterThan(0);

    const renamed = await cli(['orgs', 'rename', String(acme.id), 'Acme Telecom'], { env: dbEnv });
    expect(renamed.code, renamed.stderr).toBe(0);
    const list = await cli(['orgs', 'list'], { env: dbEnv });
    expect(list.stdout).toMatch(new RegExp(`${acme.id}\\s+Acme Telecom`));
  });

  it('`scenarist keys revoke` in another process refuses the key from the next request on, in the running server', async () => {
    const created = await cli(['keys', 'create', '--name', 'ci'], { env: dbEnv });
    const key = created.stdout.trim();
    expect((await s.as(key)('GET', 'projects/')).status).toBe(200);
    const listed = JSON.parse((await cli(['keys', 'list', '--json'], { env: dbEnv })).stdout);
    const row = listed.find((k: any) => key.startsWith(k.prefix) && k.name === 'ci');
    expect(row).toMatchObject({ project_id: null, revoked_at: null, last_used_at: expect.any(String) });
    expect(row).not.toHaveProperty('key_hash');
    const table = (await cli(['keys', 'list'], { env: dbEnv })).stdout;
    expect(table).toMatch(/ID\s+PREFIX\s+NAME\s+SCOPE\s+CREATED\s+LAST USED/);

    const revoked = await cli(['keys', 'revoke', String(row.id)], { env: dbEnv });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await s.as(key)('GET', 'projects/')).toMatchObject({ status: 401, body: { detail: expect.any(String) } });
    // Other keys keep working.
    expect((await s.api('GET', 'projects/')).status).toBe(200);
    expect((await cli(['keys', 'revoke', '999999'], { env: dbEnv })).code).toBe(4);
  });

  it('the operator API creates, lists and renames organizations and manages their keys, behind the operator key', async () => {
    const op = s.as(OPERATOR_KEY);
    expect((await s.api('GET', '/admin/organizations/')).status).toBe(401);
    const org = await op('POST', '/admin/organizations/', { name: 'Globex' });
    expect(org).toMatchObject({ status: 201, body: { id: expect.any(Number), name: 'Globex', key: expect.stringMatching(/^sk_scn_/) } });
    expect((await op('PATCH', `/admin/organizations/${org.body.id}/`, { name: 'Globex Corp' })).body.name).toBe('Globex Corp');
    expect((await op('GET', '/admin/organizations/')).body.map((o: any) => o.name)).toContain('Globex Corp');

    // A key limited to one project: it reaches that project and nothing else of its organization.
    const globex = s.as(org.body.key);
    const other = (await globex('POST', 'projects/', { name: 'Other' })).body.id;
    const key = await op('POST', `/admin/organizations/${org.body.id}/keys/`, { name: 'scoped', project: org.body.project_id });
    expect(key).toMatchObject({ status: 201, body: { project: org.body.project_id, key: expect.any(String) } });
    const scoped = s.as(key.body.key);
    const personality = (await globex('GET', 'personalities/')).body[0].id;
    const inside = await scoped('POST', 'scenarios/', { name: 'Inside', project: org.body.project_id, personality });
    expect(inside.status, JSON.stringify(inside.body)).toBe(201);
    const outside = (await globex('POST', 'scenarios/', { name: 'Outside', project: other, personality })).body.id;
    expect((await scoped('GET', `scenarios/${outside}/`)).status).toBe(404);
    expect((await scoped('GET', `scenarios/${inside.body.id}/`)).status).toBe(200);
    expect((await scoped('GET', 'scenarios/')).body.results.map((r: any) => r.id)).toEqual([inside.body.id]);
    expect((await scoped('GET', 'projects/')).body.map((p: any) => p.id)).toEqual([org.body.project_id]);
    // Another project's ids answer as another organization's would: no such object.
    expect(await scoped('POST', 'scenarios/', { name: 'Sneak', project: other, personality })).toMatchObject({
      status: 400,
      body: { project: [`Invalid pk "${other}" - object does not exist.`] },
    });
    const agentJob = await scoped('POST', 'scenarios/scenario-agent/', { scenarios: [outside], user_message: 'x' });
    expect(agentJob.status).toBe(400);
    expect(JSON.stringify(agentJob.body)).toContain(String(outside));

    const keys = await op('GET', `/admin/organizations/${org.body.id}/keys/`);
    expect(keys.body.map((k: any) => [k.name, k.project])).toEqual([
      ['default', null],
      ['scoped', org.body.project_id],
    ]);
    const revoked = await op('POST', `/admin/organizations/${org.body.id}/keys/${key.body.id}/revoke/`);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect((await scoped('GET', 'projects/')).status).toBe(401);
  });
});

describe('failed authentication', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ SCENARIST_AUTH_FAILURES_PER_MINUTE: '5' });
  });
  afterAll(async () => s?.stop());

  it('is limited per client address: over the limit every attempt answers 429 in the seed shape, the right key too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await s.as(`sk_scn_wrong_${i}`)('GET', 'projects/')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(await s.as('sk_scn_wrong')('GET', 'projects/')).toMatchObject({ status: 429, body: { detail: expect.stringContaining('Too many') } });
    expect((await s.api('GET', 'projects/')).status).toBe(429);
    expect((await s.as(null)('GET', '/health')).status).toBe(200);
  });
});

describe('the operator API without an operator key', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s?.stop());

  it('is not there', async () => {
    expect((await s.api('GET', '/admin/organizations/')).status).toBe(404);
  });
});
