#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { isoNow, systemClock } from '../domain/clock.js';
import { registerApply } from './commands/apply.js';
import { registerCancel } from './commands/cancel.js';
import { registerChangesets } from './commands/changesets.js';
import { registerGenerate } from './commands/generate.js';
import { registerImprove } from './commands/improve.js';
import { registerMcp } from './commands/mcp.js';
import { registerScenarios } from './commands/scenarios.js';
import { registerSessions } from './commands/sessions.js';

// The server side (Fastify, the store, the model SDKs) loads only for the commands that run it, so
// the client commands start quickly.
const serverSide = () => import('../server.js');
const storeSide = async () => ({ ...(await import('../store/db.js')), ...(await import('../store/organizations.js')) });

const program = new Command('scenarist').description('Scenarist: the scenario agent for voice and chat AI agent tests.');

program
  .command('serve')
  .description('Run the HTTP API (and, unless --no-worker, the job worker) on SCENARIST_HOST:SCENARIST_PORT.')
  .option('--no-worker', 'run the API alone; jobs are taken by `scenarist worker` processes')
  .action(async (opts: { worker: boolean }) => {
    const config = loadConfig();
    const { startServer } = await serverSide();
    const running = await startServer(config, { announce: (line) => process.stdout.write(line + '\n'), worker: opts.worker });
    process.stdout.write(`Scenarist listening on ${running.url} (database: ${config.database.kind}, model: ${config.model})\n`);
    const shutdown = async (signal: string) => {
      running.app.log.info({ signal }, 'shutting down');
      await running.stop();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });

program
  .command('worker')
  .description('Run jobs only (no HTTP API); any number of workers can share one database with `serve --no-worker` processes.')
  .action(async () => {
    const config = loadConfig();
    const { runWorker } = await import('../worker.js');
    const worker = await runWorker(config);
    const shutdown = async () => {
      await worker.stop();
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown());
    process.once('SIGINT', () => void shutdown());
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit.')
  .action(async () => {
    const config = loadConfig();
    const { migrate, openStore } = await storeSide();
    const store = openStore(config.database);
    try {
      const applied = await migrate(store);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
    } finally {
      await store.close();
    }
  });

const keys = program.command('keys').description('Manage API keys.');
keys
  .command('create')
  .description('Create an API key and print it once.')
  .option('--org <id>', 'organization id (default: the first organization)')
  .option('--name <name>', 'a label for the key', 'cli')
  .action(async (opts: { org?: string; name: string }) => {
    const config = loadConfig();
    const { migrate, openStore, firstOrganization, createApiKey } = await storeSide();
    const store = openStore(config.database);
    try {
      await migrate(store);
      const orgId = opts.org ? Number(opts.org) : (await firstOrganization(store.db))?.id;
      if (!orgId || !Number.isInteger(orgId)) {
        throw new CliError('No organization found: start the server once (`npm start`) or pass --org <id>.');
      }
      const org = await store.db.selectFrom('organizations').select('id').where('id', '=', orgId).executeTakeFirst();
      if (!org) throw new CliError(`Organization ${orgId} does not exist.`);
      const { key } = await createApiKey(store.db, orgId, opts.name, isoNow(systemClock));
      process.stdout.write(`${key}\n`);
    } finally {
      await store.close();
    }
  });

registerImprove(program);
registerApply(program);
registerGenerate(program);
registerScenarios(program);
registerSessions(program);
registerChangesets(program);
registerCancel(program);
registerMcp(program);

class CliError extends Error {}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
