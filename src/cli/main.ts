#!/usr/bin/env node
import fs from 'node:fs';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { isoNow, systemClock } from '../domain/clock.js';
import { NotFound } from '../domain/errors.js';
import { VERSION } from '../mcp/version.js';
import { registerAgents } from './commands/agents.js';
import { registerApply } from './commands/apply.js';
import { registerCancel } from './commands/cancel.js';
import { registerChangesets } from './commands/changesets.js';
import { registerCompletion } from './commands/completion.js';
import { registerGenerate } from './commands/generate.js';
import { registerImprove } from './commands/improve.js';
import { registerInit } from './commands/init.js';
import { registerKb } from './commands/kb.js';
import { registerKeyAdmin } from './commands/keys.js';
import { registerMcp } from './commands/mcp.js';
import { registerOrgs } from './commands/orgs.js';
import { registerProjects } from './commands/projects.js';
import { registerScenarios } from './commands/scenarios.js';
import { registerSessions } from './commands/sessions.js';
import { registerShow } from './commands/show.js';

// The server side (Fastify, the store, the model SDKs) loads only for the commands that run it, so
// the client commands start quickly.
const serverSide = () => import('../server.js');
const storeSide = async () => ({ ...(await import('../store/db.js')), ...(await import('../store/organizations.js')) });

const program = new Command('scenarist')
  .description('Scenarist: the scenario agent for voice and chat AI agent tests.')
  .version(VERSION, '-V, --version', 'print the version')
  // Usage errors (an unknown command or option, a missing argument) exit 2, as the README documents;
  // set before the commands are added so each of them inherits it.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

program
  .command('serve')
  .description('Run the HTTP API (and, unless --no-worker, the job worker) on SCENARIST_HOST:SCENARIST_PORT.')
  .option('--no-worker', 'run the API alone; jobs are taken by `scenarist worker` processes')
  .action(async (opts: { worker: boolean }) => {
    const config = loadConfig();
    const { startServer } = await serverSide();
    const running = await startServer(config, { announce: (line) => process.stdout.write(`${line}\n`), worker: opts.worker }).catch((err: unknown) => {
      throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? new CliError(
            `Port ${config.port} on ${config.host} is already in use (another Scenarist, or another program, is listening there): stop it, or start on another port with SCENARIST_PORT=${config.port + 1}.`,
            1,
          )
        : err;
    });
    // The key banner comes last, so it is what the terminal shows when the start is done.
    const lines = [
      `Scenarist listening on ${running.url} (database: ${config.database.kind}, model: ${config.model}${opts.worker ? '' : ', no worker'})`,
      `  review page: ${running.url}/`,
      `  API docs:    ${running.url}/docs`,
    ];
    if (running.bootstrapKey) {
      lines.push(
        '',
        `Created the default organization, its "Default" project (id ${running.bootstrapProjectId}) and an API key.`,
        'This key is shown once; keep it somewhere safe (sign in to the review page with it, or export SCENARIST_API_KEY=…):',
        '',
        `  ${running.bootstrapKey}`,
        '',
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
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
    // Opening a missing SQLite file would create an empty database, and a server started on it
    // would be a second, empty instance: say where the database was looked for instead.
    if (config.database.kind === 'sqlite' && !fs.existsSync(config.database.file)) {
      throw new CliError(
        `No database at ${config.database.file}. Run this where the server runs (or set SCENARIST_DATA_DIR or DATABASE_URL to its database); a server starting on an empty data directory creates one and prints its first key.`,
      );
    }
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
registerShow(program);
registerGenerate(program);
registerInit(program);
registerProjects(program);
registerAgents(program);
registerScenarios(program);
registerKb(program);
registerSessions(program);
registerChangesets(program);
registerCancel(program);
registerMcp(program);
registerCompletion(program);

/** A failure of the server-side commands said in one sentence; usage and configuration (2) unless told. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 2);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
