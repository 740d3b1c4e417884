/** Wall time, process CPU (user and system) and RSS of one piece of work. */
export async function measure<T>(work: () => Promise<T>, opts: { sampleRssMs?: number } = {}) {
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = opts.sampleRssMs
    ? setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      }, opts.sampleRssMs)
    : null;
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    const value = await work();
    const wallMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    // The kernel's high-water mark catches a peak between two samples, once it exceeds the old one.
    const maxRssAfter = process.resourceUsage().maxRSS * 1024;
    if (maxRssAfter > maxRssBefore) rssPeak = Math.max(rssPeak, maxRssAfter);
    return { value, wallMs, userMs: used.user / 1000, systemMs: used.system / 1000, rssBefore, rssPeak };
  } finally {
    if (sampler) clearInterval(sampler);
  }
}

/** Collects garbage first when the process allows it, so memory figures start from a clean heap. */
export function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export const MB = 2 ** 20;
