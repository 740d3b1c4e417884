import { Worker } from 'node:worker_threads';

export interface ProbeFigures {
  requests: number;
  maxMs: number;
  p99Ms: number;
  maxByPath: Record<string, number>;
}

/**
 * Requests another client makes while a piece of work runs: each path every 10 ms, each request
 * timed from when it was due, not from when it could be sent. The client runs on a thread of its
 * own, as another client would be another process: its own fetching and parsing is not work of the
 * server's event loop, and what it waits is what the server made it wait.
 */
export function probe(baseUrl: string, key: string, paths: string[]): { stop(): Promise<ProbeFigures> } {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const { baseUrl, key, paths } = workerData;
    const waits = {};
    let stopped = false;
    const loop = async (path) => {
      const mine = (waits[path] = []);
      let due = performance.now();
      while (!stopped) {
        const res = await fetch(baseUrl + path, { headers: { 'X-CEKURA-API-KEY': key } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(path + ' answered ' + res.status + ' meanwhile');
        mine.push(performance.now() - due);
        due += 10;
        const ahead = due - performance.now();
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
        else due = performance.now();
      }
    };
    const loops = paths.map(loop);
    parentPort.once('message', async () => {
      stopped = true;
      try {
        await Promise.all(loops);
        parentPort.postMessage({ waits });
      } catch (err) {
        parentPort.postMessage({ error: String(err) });
      }
    });
    `,
    { eval: true, workerData: { baseUrl, key, paths } },
  );
  return {
    async stop() {
      const answer = new Promise<{ waits?: Record<string, number[]>; error?: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage('stop');
      const { waits, error } = await answer;
      await worker.terminate();
      if (error || !waits) throw new Error(error ?? 'the probe sent nothing');
      const all = Object.values(waits).flat();
      const sorted = [...all].sort((a, b) => a - b);
      return {
        requests: all.length,
        maxMs: Math.max(...all),
        p99Ms: sorted[Math.floor(all.length * 0.99)] ?? 0,
        maxByPath: Object.fromEntries(Object.entries(waits).map(([p, xs]) => [p, Math.round(Math.max(...xs))])),
      };
    },
  };
}
