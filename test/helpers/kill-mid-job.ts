import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootstrap } from '../../src/store/bootstrap.js';
import { migrate, openStore, type Store } from '../../src/store/db.js';
import { batchIds, completion, type FakeOpenAI, promptOf, type SeenRequest, startFakeOpenAI } from './fake-openai.js';
import { createTestDatabase } from './pg.js';

const root = path.join(import.meta.dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Launched {
  child: ChildProcess;
  /** The first stdout line that matched `ready`. */
  line: string;
}

/** Starts `node --import tsx <args>` in the repository and resolves with the first stdout line matching `ready`. */
export function launch(args: string[], env: Record<string, string>, ready: RegExp): Promise<Launched> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let found = false;
    // Read stdout to the end, so a chatty process never blocks on a full pipe.
    child.stdout!.on('data', (d) => {
      if (found) return;
      out += d;
      const line = out.split('\n').find((l) => ready.test(l));
      if (line) {
        found = true;
        resolve({ child, line });
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

async function kill(child: ChildProcess): Promise<void> {
  if (!alive(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

export interface KillMidJobOptions {
  /** PostgreSQL: `serve --no-worker` and two `worker` processes; SQLite: one `serve`, killed and started again. */
  pg: boolean;
  /**
   * `improve`: an improve job over `scenarios` scenarios, one batch each. `clarify`: a drafting job
   * of `scenarios` rounds (ten drafts each, as the engine asks for them).
   */
  kind?: 'improve' | 'clarify';
  /** Scenarios in the job; one batch each (improve), or drafting rounds (clarify). */
  scenarios?: number;
  /** The worker is killed once this many batches were answered (while the next one is at the model). */
  killAfter?: number;
  /** How long the fake model takes per batch. */
  answerMs?: number;
  /** Settings for every process; the product's defaults for the lease and heartbeat unless given. */
  env?: Record<string, string>;
}

export interface KillMidJobRun {
  /** From the kill to the job being claimed again. */
  pickUpMs: number;
  /** From the kill to the job's final state. */
  finishMs: number;
  final: any;
  /** The batches answered before the kill: their scenario ids (improve) or round numbers (clarify). */
  finishedBeforeKill: number[];
  /** How often the model was sent each scenario (improve) or round (clarify) over the whole job. */
  sentToModel: Map<number, number>;
  /** Every progress_done the job row showed, in order, sampled from the kill to the end. */
  progressSeen: number[];
  /** The job row at the end, and its kept batches left over. */
  row: { attempts: number; status: string; usage: string };
  keptLeft: number;
  assistantTurns: number;
  stop(): Promise<void>;
}

/**
 * An improve job over a fake model server, one scenario per batch; once `killAfter` batches were
 * answered, the worker running the job is killed with SIGKILL (no chance to hand anything back).
 * On PostgreSQL the other worker takes the job over; on SQLite the single process is started again.
 * Times are measured from the kill, by reading the job row every 25 ms.
 */
export async function killMidJob(opts: KillMidJobOptions): Promise<KillMidJobRun> {
  const n = opts.scenarios ?? 8;
  const killAfter = opts.killAfter ?? 3;
  const answerMs = opts.answerMs ?? 200;
  const procs: ChildProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenarist-kill-'));
  const database = opts.pg ? await createTestDatabase() : null;
  let fake: FakeOpenAI | undefined;
  let store: Store | undefined;
  let restart: Promise<void> | undefined;
  const stop = async () => {
    await restart?.catch(() => {});
    await Promise.all(procs.map(kill));
    await store?.close();
    await fake?.stop();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const clarify = opts.kind === 'clarify';
  let personality = 0;
  /** What a request is: the scenarios of its batch, or the drafting round it asks for (by the drafts named before it). */
  const unitsOf = (req: SeenRequest): number[] => (clarify ? [roundOf(req)] : batchIds(req));
  try {
    fake = await startFakeOpenAI();
    // Every batch is answered after `answerMs`: an improve batch tags its scenarios, a round drafts ten.
    fake.fallback = (req) => ({
      ...(clarify
        ? completion({ message: 'Drafted ten.', needs_clarification: false, questions: [], scenarios: roundDrafts(roundOf(req), personality), not_done: [] })
        : completion({
            message: `Tagged ${batchIds(req).length}.`,
            changes: batchIds(req).map((id) => ({ scenario_id: id, fields: { tags: ['base', 'reviewed'] } })),
          })),
      delayMs: answerMs,
    });
    const dbConfig = database
      ? ({ kind: 'postgres', url: database.url, poolSize: 2 } as const)
      : ({ kind: 'sqlite', file: path.join(dataDir, 'scenarist.db') } as const);
    store = openStore(dbConfig);
    await migrate(store);
    const boot = (await bootstrap(store, new Date().toISOString()))!;
    const env: Record<string, string> = {
      ...(database ? { DATABASE_URL: database.url } : {}),
      SCENARIST_DATA_DIR: dataDir,
      SCENARIST_PORT: '0',
      SCENARIST_LOG_LEVEL: 'warn',
      SCENARIST_MODEL: 'openai-compatible:fake-model',
      SCENARIST_LLM_BASE_URL: fake.url,
      SCENARIST_LLM_API_KEY: 'sk-local',
      SCENARIST_LLM_BATCH_SIZE: '1',
      SCENARIST_LLM_CONCURRENCY: '1',
      SCENARIST_PLANNER_FIRST: 'false',
      SCENARIST_DB_POOL_SIZE: '4',
      ...opts.env,
    };
    const serve = (args: string[]) => launch(['src/cli/main.ts', 'serve', ...args], env, /listening on/);
    const worker = () => launch(['src/cli/main.ts', 'worker'], { ...env, SCENARIST_LOG_LEVEL: 'info' }, /"msg":"worker started"/);
    const started = await Promise.all(opts.pg ? [serve(['--no-worker']), worker(), worker()] : [serve([])]);
    procs.push(...started.map((s) => s.child));
    const urlOf = (s: Launched) => /listening on (\S+)/.exec(s.line)![1]!;
    let api = urlOf(started[0]!);
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await fetch(`${api}/test_framework/v1/${url}`, {
        method,
        headers: { 'X-CEKURA-API-KEY': boot.key, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return (await res.json()) as any;
    };
    personality = (await call('GET', 'personalities/'))[0].id;
    const agent = (await call('POST', 'aiagents/', { project: boot.projectId, agent_name: 'Billing line', description: 'Answers billing questions.' })).id;
    const ids: number[] = [];
    for (let i = 0; i < (clarify ? 0 : n); i++)
      ids.push((await call('POST', 'scenarios/', { name: `Scenario ${i}`, agent, personality, tags: ['base'], instructions: `Ask about bill ${i}.` })).id);
    const job = clarify
      ? await call('POST', 'scenarios/scenario-agent/', { agent_id: agent, user_message: 'Billing calls', num_scenarios: n * ROUND })
      : await call('POST', 'scenarios/scenario-agent/', { scenarios: ids, project_id: boot.projectId, user_message: 'Review them, then tag them reviewed' });

    // The batch after `killAfter` is at the model: the ones before it were answered and kept.
    await fake.waitForRequests(killAfter + 1, 60_000);
    const finishedBeforeKill = fake.requests.slice(0, killAfter).flatMap(unitsOf);
    const held = await store.db.selectFrom('jobs').select(['lease_owner', 'attempts']).where('progress_id', '=', job.progress_id).executeTakeFirstOrThrow();
    const victim = started.find((s) => held.lease_owner?.split(':')[1] === String(s.child.pid));
    if (!victim) throw new Error(`no started process holds the job (owner ${held.lease_owner})`);
    const killedAt = performance.now();
    await kill(victim.child);
    // SQLite: the one process is started again at once, as a supervisor would; the row is read meanwhile.
    restart = opts.pg
      ? undefined
      : serve([]).then((s) => {
          procs.push(s.child);
          api = urlOf(s);
        });
    restart?.catch(() => {});

    let pickUpMs = 0;
    const progressSeen: number[] = [];
    for (;;) {
      const row = await store.db
        .selectFrom('jobs')
        .select(['attempts', 'status', 'progress_done'])
        .where('progress_id', '=', job.progress_id)
        .executeTakeFirstOrThrow();
      if (progressSeen.at(-1) !== row.progress_done) progressSeen.push(row.progress_done);
      if (!pickUpMs && row.attempts > held.attempts) pickUpMs = performance.now() - killedAt;
      if (row.status !== 'in_progress') break;
      if (performance.now() - killedAt > 120_000) throw new Error('the job never finished after the kill');
      await sleep(25);
    }
    const finishMs = performance.now() - killedAt;
    await restart;
    const final = await call('GET', `scenarios/scenario-agent-progress/?progress_id=${job.progress_id}`);
    const sentToModel = new Map<number, number>();
    for (const id of fake.requests.flatMap(unitsOf)) sentToModel.set(id, (sentToModel.get(id) ?? 0) + 1);
    const row = await store.db
      .selectFrom('jobs')
      .select(['id', 'attempts', 'status', 'usage'])
      .where('progress_id', '=', job.progress_id)
      .executeTakeFirstOrThrow();
    const keptLeft = (await store.db.selectFrom('job_batches').select('batch_key').where('job_id', '=', row.id).execute()).length;
    const turns = await store.db
      .selectFrom('session_messages')
      .select('role')
      .where('session_id', '=', job.session_id)
      .where('role', '=', 'assistant')
      .execute();
    return { pickUpMs, finishMs, final, finishedBeforeKill, sentToModel, progressSeen, row, keptLeft, assistantTurns: turns.length, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Drafts the engine asks for in one round. */
const ROUND = 10;

/** The round a drafting request asks for, from how many drafts it names as already made. */
function roundOf(req: SeenRequest): number {
  const named = /<data name="already_drafted">\n(\[[\s\S]*?\])\n<\/data>/.exec(promptOf(req));
  return named ? (JSON.parse(named[1]!) as string[]).length / ROUND : 0;
}

/** Ten valid drafts for a round, named by the round so every round drafts new situations. */
const roundDrafts = (round: number, personality: number) =>
  Array.from({ length: ROUND }, (_, i) => ({
    name: `Billing situation ${round * ROUND + i + 1}`,
    personality,
    scenario_language: 'en',
    tags: ['billing'],
    tool_ids: [],
    first_message: 'Hi, I have a question about my bill.',
    instructions: `You ask about billing situation ${round * ROUND + i + 1}.`,
    expected_outcome_prompt: 'The agent answers the question.',
    information_fields: [],
    source_files: [],
  }));
