import type { ImproveInput, ImproveOutput } from '../../src/agent/engine.js';
import { InstantEngine } from './instant-engine.js';

/** Waits like a model call of fixed latency (abortable), then answers as the instant engine does. */
export class DelayedEngine extends InstantEngine {
  override readonly name = 'delayed';
  constructor(
    readonly delayMs: number,
    batchSize: number,
    concurrency: number,
  ) {
    super(batchSize, concurrency);
  }

  override async improve(input: ImproveInput): Promise<ImproveOutput> {
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => (clearTimeout(t), reject(input.signal.reason));
      const t = setTimeout(() => (input.signal.removeEventListener('abort', onAbort), resolve()), this.delayMs);
      input.signal.addEventListener('abort', onAbort, { once: true });
    });
    return super.improve(input);
  }
}
