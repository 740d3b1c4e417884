#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { isoNow, systemClock } from '../domain/clock.js';
import { NotFound } from '../domain/errors.js';
import { registerApply } from './commands/apply.js';
import { registerCancel } from './commands/cancel.js';
import { registerGenerate } from './commands/generate.js';
import { registerImprove } from './commands/improve.js';
import { registerKeyAdmin } from './commands/keys.js';
import { registerOrgs } from './commands/orgs.js';
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
  .option('--project <id>', 'limit the key to one project of the organization')
  .action(async (opts: { org?: string; name: string; project?: string }) => {
    const config = loadConfig();
    const { migrate, openStore, firstOrganization, organizationExists, createApiKey } = await storeSide();
    const store = openStore(config.database);
    try {
      await migrate(store);
      const orgId = opts.org ? Number(opts.org) : (await firstOrganization(store.db))?.id;
      if (!orgId || !Number.isInteger(orgId)) {
        throw new CliError('No organization found: start the server once (`npm start`) or pass --org <id>.');
      }
      if (!(await organizationExists(store.db, orgId))) throw new CliError(`Organization ${orgId} does not exist.`);
      const projectId = opts.project === undefined ? null : Number(opts.project);
      if (projectId !== null && !(Number.isInteger(projectId) && projectId > 0)) throw new CliError(`--project must be a project id, not "${opts.project}".`);
      const { key } = await createApiKey(store.db, orgId, opts.name, isoNow(systemClock), projectId).catch((e: Error) => {
        throw new CliError(e.message);
      });
      process.stdout.write(`${key}\n`);
    } finally {
      await store.close();
    }
  });

/** The operator commands' database side: the store, opened for one command. */
const tenantAdmin = async () => {
  const store = await storeSide();
  const db = store.openStore(loadConfig().database);
  await store.migrate(db);
  const now = () => isoNow(systemClock);
  const orgOf = async (org: number | undefined) => {
    if (org !== undefined) return (await store.getOrganization(db.db, org)).id;
    const first = await store.firstOrganization(db.db);
    if (!first) throw new NotFound('No organization found: start the server once (`npm start`) or create one with `scenarist orgs create`.');
    return first.id;
  };
  return {
    admin: {
      listOrganizations: () => store.listOrganizations(db.db),
      createOrganization: (name: string) => db.db.transaction().execute((tx) => store.createOrganizationWithKey(tx, name, now())),
      renameOrganization: (id: number, name: string) => store.renameOrganization(db.db, id, name),
      listKeys: async (org: number | undefined) => store.listApiKeys(db.db, await orgOf(org)),
      revokeKey: async (keyId: number, org: number | undefined) => store.revokeApiKey(db.db, await orgOf(org), keyId, now()),
    },
    close: () => db.close(),
  };
};
registerKeyAdmin(keys, tenantAdmin);
registerOrgs(program, tenantAdmin);
registerImprove(program);
registerApply(program);
registerGenerate(program);
registerScenarios(program);
registerSessions(program);
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
