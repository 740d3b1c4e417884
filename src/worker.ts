import pino from 'pino';
import type { ScenarioEngine } from './agent/engine.js';
import { createEngine } from './agent/engines/index.js';
import { loggerOptions } from './api/log-lines.js';
import type { Config } from './config.js';
import { systemClock } from './domain/clock.js';
import { createDispatcher } from './jobs/dispatch/dispatcher.js';
import { JobRunner } from './jobs/runner.js';
import { WebhookSender } from './jobs/webhook-sender.js';
import { jobHandlers } from './services/job-handlers.js';
import { migrate, openStore, waitForDatabase } from './store/db.js';

export interface WorkerOptions {
  /** The engine jobs use; by default the one SCENARIST_MODEL names. */
  engine?: ScenarioEngine;
}

/** A process that only runs jobs, beside API processes that share its database. */
export async function runWorker(config: Config, opts: WorkerOptions = {}): Promise<{ owner: string; stop(): Promise<void> }> {
  const { stream, ...options } = loggerOptions(config);
  const log = stream ? pino(options, stream) : pino(options);
  const engine = opts.engine ?? createEngine(config);
  const store = openStore(config.database);
  store.onConnectionError((err) => log.warn({ err: err.message }, 'database connection lost; the pool reconnects'));
  await waitForDatabase(store, (err, delayMs) =>
    log.warn({ err: err instanceof Error ? err.message : String(err), delayMs }, 'database not reachable; retrying'),
  );
  await migrate(store);
  const dispatcher = createDispatcher(store, config, log);
  await dispatcher.start();
  const runner = new JobRunner({ store, config, clock: systemClock, engine, handlers: jobHandlers, log, pollMs: dispatcher.sweepMs });
  await dispatcher.consume(runner);
  runner.start();
  const webhooks = new WebhookSender({ store, config, clock: systemClock, log });
  webhooks.start();
  log.info({ owner: runner.owner, engine: engine.name, dispatcher: dispatcher.name, concurrency: config.worker.concurrency }, 'worker started');
  return {
    owner: runner.owner,
    async stop() {
      await Promise.all([runner.stop(), dispatcher.stop(), webhooks.stop()]);
      await store.close();
    },
  };
}
