import { Worker } from 'node:worker_threads';
import type { Api } from '../../test/helpers/server.js';

/**
 * Starts a scenario-agent job over HTTP, as a client does; returns its progress id. A body given
 * as JSON text is sent as it is: a client serializes in its own process, not in the server's.
 */
export async function submit(api: Api, body: Record<string, unknown> | string): Promise<string> {
  const res =
    typeof body === 'string'
      ? await api('POST', 'scenarios/scenario-agent/', body, { 'content-type': 'application/json' })
      : await api('POST', 'scenarios/scenario-agent/', body);
  if (res.status !== 200) throw new Error(`scenario-agent/ answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body.progress_id as string;
}

/** Starts `n` improve jobs of the agent, twenty at a time; answers their progress ids. */
export async function submitMany(api: Api, agentId: number, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 20) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, () => submit(api, { scenarios: 'all', agent_id: agentId, user_message: 'Add the DTMF tool' })),
      )),
    );
  }
  return ids;
}

/**
 * Polls the progress route until the job leaves in_progress, the way a client waits. A short
 * interval keeps the wait for small jobs honest; each poll is one cheap request.
 */
export async function waitDone(api: Api, progressId: string, opts: { intervalMs?: number; timeoutMs?: number } = {}): Promise<any> {
  const interval = opts.intervalMs ?? 5;
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  for (;;) {
    const res = await api('GET', `scenarios/scenario-agent-progress/?progress_id=${encodeURIComponent(progressId)}`);
    if (res.status !== 200) throw new Error(`scenario-agent-progress/ answered ${res.status}`);
    if (res.body.status !== 'in_progress') return res.body;
    if (Date.now() > deadline) throw new Error(`job ${progressId} still in_progress`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Submits and waits; throws unless the job completed. */
export async function runJob(api: Api, body: Record<string, unknown> | string, opts?: { intervalMs?: number }): Promise<any> {
  const done = await waitDone(api, await submit(api, body), opts);
  if (done.status !== 'completed' || done.result?.success === false) {
    throw new Error(`job ended ${done.status}: ${JSON.stringify(done.result ?? done.error).slice(0, 500)}`);
  }
  return done;
}

/**
 * runJob on a thread of its own, as a client in another process would run it: sending megabytes
 * and polling are the client's work, not the server's, so they do not take turns of the event
 * loop whose wall time and waits are measured. The thread starts (and takes its copy of the body)
 * before `run` is called, so a clock started then times the job alone. `run` answers the final
 * progress body.
 */
export async function jobClientOnThread(baseUrl: string, key: string, bodyText: string, opts: { intervalMs: number }): Promise<{ run(): Promise<any> }> {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const { baseUrl, key, bodyText, intervalMs } = workerData;
    const call = async (method, path, body) => {
      const headers = { 'X-CEKURA-API-KEY': key, ...(body ? { 'content-type': 'application/json' } : {}) };
      const res = await fetch(baseUrl + '/test_framework/v1/' + path, { method, headers, body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(path + ' answered ' + res.status + ': ' + text.slice(0, 500));
      return JSON.parse(text);
    };
    const run = async () => {
      const { progress_id } = await call('POST', 'scenarios/scenario-agent/', bodyText);
      for (;;) {
        const done = await call('GET', 'scenarios/scenario-agent-progress/?progress_id=' + encodeURIComponent(progress_id));
        if (done.status !== 'in_progress') return done;
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    };
    parentPort.once('message', () => run().then((done) => parentPort.postMessage({ done }), (err) => parentPort.postMessage({ error: String(err) })));
    parentPort.postMessage({ ready: true });
    `,
    { eval: true, workerData: { baseUrl, key, bodyText, intervalMs: opts.intervalMs } },
  );
  await new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', resolve);
  });
  return {
    run: () =>
      new Promise((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', ({ done, error }: { done?: any; error?: string }) => {
          void worker.terminate();
          if (error) return reject(new Error(error));
          if (done.status !== 'completed' || done.result?.success === false) {
            return reject(new Error(`job ended ${done.status}: ${JSON.stringify(done.result ?? done.error).slice(0, 500)}`));
          }
          resolve(done);
        });
        worker.postMessage('run');
      }),
  };
}
