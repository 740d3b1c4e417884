import { expect } from 'vitest';
import type { Api } from './server.js';

/** Polls a progress endpoint until the job leaves in_progress. */
async function pollJob(api: Api, endpoint: string, progressId: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `scenarios/${endpoint}/?progress_id=${encodeURIComponent(progressId)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.status !== 'in_progress') return res.body;
    if (Date.now() > deadline) throw new Error(`job ${progressId} still in_progress after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls scenario-agent-progress/ until the job leaves in_progress. */
export const waitForJob = (api: Api, progressId: string, timeoutMs = 15_000) => pollJob(api, 'scenario-agent-progress', progressId, timeoutMs);

/** Polls instructions-progress/ until the job leaves in_progress. */
export const waitForInstructions = (api: Api, progressId: string, timeoutMs = 15_000) => pollJob(api, 'instructions-progress', progressId, timeoutMs);

export async function personalityId(api: Api, name = 'Normal Male'): Promise<number> {
  const res = await api('GET', 'personalities/');
  expect(res.status).toBe(200);
  const list = Array.isArray(res.body) ? res.body : res.body.results;
  const p = list.find((x: { name: string }) => x.name === name);
  if (!p) throw new Error(`no personality ${name}`);
  return p.id;
}

export async function createAgent(
  api: Api,
  projectId: number,
  name = 'Support bot',
  description = 'Answers billing questions for Acme Telecom.',
): Promise<number> {
  const res = await api('POST', 'aiagents/', { project: projectId, agent_name: name, description });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

export async function createScenario(api: Api, fields: Record<string, unknown>): Promise<any> {
  const res = await api('POST', 'scenarios/', fields);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export async function startJob(api: Api, body: Record<string, unknown>): Promise<{ progress_id: string; session_id: number }> {
  const res = await api('POST', 'scenarios/scenario-agent/', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body).toEqual({ progress_id: expect.any(String), session_id: expect.any(Number) });
  return res.body;
}

/** Writes an agent straight to the store, for tests of other resources. */
export async function insertAgent(
  db: import('../../src/store/db.js').Db,
  projectId: number,
  name = 'Support bot',
  description = 'Answers billing questions for Acme Telecom.',
): Promise<number> {
  const now = new Date().toISOString();
  const p = await db.selectFrom('projects').select('organization_id').where('id', '=', projectId).executeTakeFirstOrThrow();
  const row = await db
    .insertInto('aiagents')
    .values({
      organization_id: p.organization_id,
      project_id: projectId,
      agent_name: name,
      description,
      language: 'en',
      inbound: 1,
      assistant_id: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function personalityIdFromStore(db: import('../../src/store/db.js').Db, name = 'Normal Male'): Promise<number> {
  return (await db.selectFrom('personalities').select('id').where('name', '=', name).orderBy('id').executeTakeFirstOrThrow()).id;
}
