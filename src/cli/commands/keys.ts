import type { Command } from 'commander';
import { isoNow, systemClock } from '../../domain/clock.js';
import { printJson } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { idArgument, table, withLocalStore } from '../local-store.js';

const orgStore = () => import('../../store/organizations.js');

/** The organization a key command means: --org, or the only/first one. */
async function organizationOf(db: import('../../store/db.js').Db, org: string | undefined): Promise<number> {
  const { firstOrganization, getOrganization } = await orgStore();
  if (org) return (await getOrganization(db, idArgument(org, 'The organization id'))).id;
  const first = await firstOrganization(db);
  if (!first) throw new CliExit(EXIT.notFound, 'No organization found: start the server once (`npm start`) or create one with `scenarist orgs create`.');
  return first.id;
}

/** `scenarist keys list|revoke`: an organization's API keys (never their secrets) and revoking one. */
export function registerKeyAdmin(keys: Command): void {
  exitingAction(
    keys.command('list').description("List an organization's API keys: prefix, name, scope, created, last used.").option('--org <id>', 'organization id (default: the first organization)').option('--json', 'print JSON'),
    async (opts: { org?: string; json?: boolean }) => {
      const rows = await withLocalStore(async (store) => (await orgStore()).listApiKeys(store.db, await organizationOf(store.db, opts.org)));
      if (opts.json) return printJson(rows);
      process.stdout.write(
        table(
          ['ID', 'PREFIX', 'NAME', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED'],
          rows.map((k) => [String(k.id), k.prefix, k.name, k.project_id === null ? 'organization' : `project ${k.project_id}`, k.created_at, k.last_used_at ?? 'never', k.revoked_at ?? '']),
        ),
      );
    },
  );

  exitingAction(
    keys.command('revoke').argument('<id>', 'key id (see `scenarist keys list`)').description('Revoke a key: every server process refuses it from its next request.').option('--org <id>', 'organization id (default: the first organization)'),
    async (id: string, opts: { org?: string }) => {
      const row = await withLocalStore(async (store) => (await orgStore()).revokeApiKey(store.db, await organizationOf(store.db, opts.org), idArgument(id, 'The key id'), isoNow(systemClock)));
      process.stdout.write(`Key ${row.id} (${row.prefix}…, "${row.name}") is revoked.\n`);
    },
  );
}
