import type { Command } from 'commander';
import { printJson } from '../connection.js';
import { exitingAction } from '../exit-codes.js';
import { idArgument, type OpenTenantAdmin, table, withTenantAdmin } from '../local-store.js';

const orgOption = (org: string | undefined) => (org === undefined ? undefined : idArgument(org, 'The organization id'));

/** `scenarist keys list|revoke`: an organization's API keys (never their secrets) and revoking one. */
export function registerKeyAdmin(keys: Command, open: OpenTenantAdmin): void {
  exitingAction(
    keys
      .command('list')
      .description("List an organization's API keys: prefix, name, scope, created, last used.")
      .option('--org <id>', 'organization id (default: the first organization)')
      .option('--json', 'print JSON'),
    async (opts: { org?: string; json?: boolean }) => {
      const rows = await withTenantAdmin(open, (admin) => admin.listKeys(orgOption(opts.org)));
      if (opts.json) return printJson(rows);
      process.stdout.write(
        table(
          ['ID', 'PREFIX', 'NAME', 'SCOPE', 'CREATED', 'LAST USED', 'REVOKED'],
          rows.map((k) => [
            String(k.id),
            k.prefix,
            k.name,
            k.project_id === null ? 'organization' : `project ${k.project_id}`,
            k.created_at,
            k.last_used_at ?? 'never',
            k.revoked_at ?? '',
          ]),
        ),
      );
    },
  );

  exitingAction(
    keys
      .command('revoke')
      .argument('<id>', 'key id (see `scenarist keys list`)')
      .description('Revoke a key: every server process refuses it from its next request.')
      .option('--org <id>', 'organization id (default: the first organization)'),
    async (id: string, opts: { org?: string }) => {
      const row = await withTenantAdmin(open, (admin) => admin.revokeKey(idArgument(id, 'The key id'), orgOption(opts.org)));
      process.stdout.write(`Key ${row.id} (${row.prefix}…, "${row.name}") is revoked.\n`);
    },
  );
}
