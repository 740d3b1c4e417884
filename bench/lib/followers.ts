import { readEventStream } from '../../src/client/wait.js';

/**
 * A process of its own holding many clients that follow jobs by their event streams, so the API
 * process's CPU and memory are the server's alone. Told `{url, key, ids}`, it opens one stream per
 * job, says `ready` once every stream has its first event, and on `stop` sends back when each
 * event arrived (epoch milliseconds, comparable across processes on one machine).
 */
interface Start {
  url: string;
  key: string;
  ids: string[];
}

const arrivals: Array<{ id: string; done: number; at: number }> = [];
const controller = new AbortController();

async function follow(start: Start, id: string, opened: () => void): Promise<void> {
  const res = await fetch(`${start.url}/test_framework/v1/scenarios/scenario-agent-progress/?progress_id=${id}`, {
    headers: { 'X-CEKURA-API-KEY': start.key, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (!res.ok || !res.body) throw new Error(`stream for ${id} answered ${res.status}`);
  let first = true;
  for await (const e of readEventStream(res.body)) {
    const at = performance.timeOrigin + performance.now();
    const p = JSON.parse(e.data) as { progress: { done: number } };
    if (first) {
      first = false;
      opened();
    } else arrivals.push({ id, done: p.progress.done, at });
  }
}

process.on('message', (m: { start?: Start; stop?: true }) => {
  if (m.start) {
    const start = m.start;
    let open = 0;
    const opened = () => {
      if (++open === start.ids.length) process.send!({ ready: true });
    };
    for (const id of start.ids) {
      follow(start, id, opened).catch((err: unknown) => {
        if (!controller.signal.aborted) process.send!({ error: err instanceof Error ? err.message : String(err) });
      });
    }
  }
  if (m.stop) {
    controller.abort();
    process.send!({ arrivals }, () => process.exit(0));
  }
});
