import type { FastifyInstance } from 'fastify';
import type { ScenarioEngine } from './agent/engine.js';
import { createEngine } from './agent/engines/index.js';
import { buildApp } from './api/app.js';
import type { Config } from './config.js';
import { type Clock, isoNow, systemClock } from './domain/clock.js';
import { createDispatcher, type JobDispatcher } from './jobs/dispatch/dispatcher.js';
import { JobRunner } from './jobs/runner.js';
import { WebhookSender } from './jobs/webhook-sender.js';
import { jobHandlers } from './services/job-handlers.js';
import { bootstrap } from './store/bootstrap.js';
import { migrate, openStore, type Store, waitForDatabase } from './store/db.js';

export interface Running {
  app: FastifyInstance;
  store: Store;
  url: string;
  /** Present on the very first start: the only plaintext copy of the default key. */
  bootstrapKey: string | null;
  /** The default project made on the very first start. */
  bootstrapProjectId: number | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: boolean | Record<string, unknown>;
  /** Where to say that the start waits for the database (the CLI prints it). */
  announce?: (line: string) => void;
  /** Run the in-process job worker beside the API (the default). */
  worker?: boolean;
  /** The engine jobs use; by default the one SCENARIST_MODEL names. */
  engine?: ScenarioEngine;
}

/** Opens the store, migrates, bootstraps an empty database and starts listening. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const clock = opts.clock ?? systemClock;
  // An API without a worker never calls the engine, so it needs no engine settings or credentials.
  const engine = opts.worker === false ? undefined : (opts.engine ?? createEngine(config));
  const store = openStore(config.database);
  let runner: JobRunner | undefined;
  let webhooks: WebhookSender | undefined;
  let dispatcher: JobDispatcher | undefined;
  let app: FastifyInstance | undefined;
  store.onConnectionError((err) => app?.log.warn({ err: err.message }, 'database connection lost; the pool reconnects'));
  try {
    await waitForDatabase(store, (err, delayMs) =>
      opts.announce?.(`Database not reachable (${err instanceof Error ? err.message : String(err)}); retrying in ${delayMs} ms`),
    );
    await migrate(store);
    const boot = await bootstrap(store, isoNow(clock));
    app = await buildApp(
      { config, store, clock, notifyJob: (id) => void dispatcher?.dispatch(id), abortJob: (id) => runner?.abort(id) },
      { logger: opts.logger },
    );
    dispatcher = createDispatcher(store, config, app.log);
    await dispatcher.start();
    if (engine) {
      runner = new JobRunner({ store, config, clock, engine, handlers: jobHandlers, log: app.log, pollMs: dispatcher.sweepMs });
      await dispatcher.consume(runner);
      runner.start();
      // Webhooks go out from processes that run jobs: an API-only process never waits on a receiver.
      webhooks = new WebhookSender({ store, config, clock, log: app.log });
      webhooks.start();
    }
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    let stopped = false;
    const started = app;
    return {
      app: started,
      store,
      url,
      bootstrapKey: boot?.key ?? null,
      bootstrapProjectId: boot?.projectId ?? null,
      async stop() {
        if (stopped) return;
        stopped = true;
        // New requests stop first, then running jobs get their grace period, then the database closes.
        await started.close();
        // The runner refuses new deliveries at once, so the queue stops while jobs finish.
        await Promise.all([runner?.stop(), dispatcher?.stop(), webhooks?.stop()]);
        await store.close();
      },
    };
  } catch (err) {
    await app?.close().catch(() => {});
    await runner?.stop().catch(() => {});
    await webhooks?.stop().catch(() => {});
    await dispatcher?.stop().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
}
