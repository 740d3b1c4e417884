import pino from 'pino';
import { createEngine } from './agent/engines/index.js';
import type { Config } from './config.js';
import { systemClock } from './domain/clock.js';
import { jobHandlers } from './jobs/handlers.js';
import { JobRunner } from './jobs/runner.js';
import { migrate, openStore } from './store/db.js';

/** A process that only runs jobs, beside API processes that share its database. */
export async function runWorker(config: Config): Promise<{ stop(): Promise<void> }> {
  const log = pino({ level: config.logLevel });
  const engine = createEngine(config);
  const store = openStore(config.database);
  await migrate(store);
  const runner = new JobRunner({ store, config, clock: systemClock, engine, handlers: jobHandlers, log });
  runner.start();
  log.info({ owner: runner.owner, engine: engine.name, concurrency: config.worker.concurrency }, 'worker started');
  return {
    async stop() {
      await runner.stop();
      await store.close();
    },
  };
}
