import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScenario, insertAgent, personalityIdFromStore, waitForInstructions } from './helpers/agent.js';
import { suiteDatabase, testDatabases } from './helpers/pg.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** The smaller faults of issue 21, each with the test that would have caught it. */

describe.each(testDatabases)('on $name', ({ name }) => {
  let s: TestServer;
  let database: Awaited<ReturnType<typeof suiteDatabase>>;
  let agent: number;
  let personality: number;
  beforeAll(async () => {
    database = await suiteDatabase(name);
    s = await startTestServer(database.env);
    agent = await insertAgent(s.running.store.db, s.defaultProjectId);
    personality = await personalityIdFromStore(s.running.store.db);
  });
  afterAll(async () => {
    await s?.stop();
    await database?.drop();
  });

  it('the same scenario twice in one apply is a 400 saying so, not a conflict that did not happen', async () => {
    const target = await createScenario(s.api, { name: 'Twice', agent, personality });
    const res = await s.api('POST', 'scenarios/scenario-agent/', {
      apply_changes: true,
      updated_scenarios: [
        { id: target.id, based_on_revision: 1, tags: ['a'] },
        { id: target.id, based_on_revision: 1, first_message: 'Hi' },
      ],
    });
    expect(res).toMatchObject({ status: 400, body: { updated_scenarios: [expect.stringContaining('one item per scenario')] } });
    expect((await s.api('GET', `scenarios/${target.id}/`)).body.revision).toBe(1);
  });

  it('two simultaneous applies of one instructions job both answer the applied scenario, written once', async () => {
    const target = await createScenario(s.api, { name: 'Race', agent, personality, instructions: 'Ask about the bill.' });
    const start = await s.api('POST', 'scenarios/generate-instructions/', {
      scenario: target.id,
      expected_outcome_prompt: 'The bill is explained.',
      extra_instructions: 'Ask for the account number first',
    });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const done = await waitForInstructions(s.api, start.body.progress_id);
    expect(done).toMatchObject({ status: 'completed', changes: { instructions: expect.any(Object) } });
    const body = { progress_id: start.body.progress_id };
    const answers = await Promise.all(Array.from({ length: 4 }, () => s.api('POST', `scenarios/${target.id}/apply_instructions/`, body)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.revision))).toEqual(new Set([2]));
    const revisions = await s.api('GET', `scenarios/${target.id}/revisions/`);
    expect(revisions.body.count).toBe(2);
  });
});

describe('npm start', () => {
  it('stops the server on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-npm-start-'));
    const child = spawn('npm', ['start'], {
      cwd: path.join(import.meta.dirname, '..'),
      env: { ...process.env, SCENARIST_PORT: '0', SCENARIST_DATA_DIR: dataDir, SCENARIST_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const serverPid = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no server start in: ${out}`)), 25_000);
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /"pid":(\d+).*Server listening/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    child.kill('SIGTERM');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const stillRunning = alive(serverPid);
    if (stillRunning) process.kill(serverPid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(stillRunning).toBe(false);
  }, 40_000);
});
