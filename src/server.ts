import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { Config } from './config.js';
import { isoNow, systemClock, type Clock } from './domain/clock.js';
import { bootstrap } from './store/bootstrap.js';
import { migrate, openStore, type Store } from './store/db.js';

export interface Running {
  app: FastifyInstance;
  store: Store;
  url: string;
  /** Present on the very first start: the only plaintext copy of the default key. */
  bootstrapKey: string | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: boolean | Record<string, unknown>;
  /** Print the first-start key (the CLI does; tests read it from the return value). */
  announce?: (line: string) => void;
  /** Run the in-process job worker beside the API (the default). */
  worker?: boolean;
}

/** Opens the store, migrates, bootstraps an empty database and starts listening. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const clock = opts.clock ?? systemClock;
  const store = openStore(config.database);
  try {
    await migrate(store);
    const boot = await bootstrap(store, isoNow(clock));
    const app = await buildApp({ config, store, clock }, { logger: opts.logger });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    if (boot && opts.announce) {
      opts.announce(
        [
          'Created the default organization, its "Default" project (id ' + boot.projectId + ') and an API key.',
          'This key is shown once; keep it somewhere safe:',
          '',
          `  ${boot.key}`,
          '',
        ].join('\n'),
      );
    }
    let stopped = false;
    return {
      app,
      store,
      url,
      bootstrapKey: boot?.key ?? null,
      async stop() {
        if (stopped) return;
        stopped = true;
        await app.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
