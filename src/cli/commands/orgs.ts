import type { Command } from 'commander';
import { printJson } from '../connection.js';
import { exitingAction } from '../exit-codes.js';
import { idArgument, type OpenTenantAdmin, table, withTenantAdmin } from '../local-store.js';

/** `scenarist orgs list|create|rename`: the organizations (tenants) of this installation. */
export function registerOrgs(program: Command, open: OpenTenantAdmin): void {
  const orgs = program.command('orgs').description('Manage organizations (tenants): each sees only its own projects. Works on the configured database.');

  exitingAction(orgs.command('list').description('List the organizations.').option('--json', 'print JSON'), async (opts: { json?: boolean }) => {
    const rows = await withTenantAdmin(open, (admin) => admin.listOrganizations());
    if (opts.json) return printJson(rows);
    process.stdout.write(
      table(
        ['ID', 'NAME', 'CREATED'],
        rows.map((o) => [String(o.id), o.name, o.created_at]),
      ),
    );
  });

  exitingAction(
    orgs
      .command('create')
      .argument('<name>', 'the organization name')
      .description('Create an organization with a "Default" project and an API key, printed once.')
      .option('--json', 'print JSON'),
    async (name: string, opts: { json?: boolean }) => {
      const made = await withTenantAdmin(open, (admin) => admin.createOrganization(name.trim()));
      if (opts.json) return printJson({ ...made.organization, project_id: made.projectId, key: made.key });
      process.stdout.write(
        `Created organization ${made.organization.id} "${made.organization.name}" with project ${made.projectId} "Default".\nIts API key, shown once:\n\n  ${made.key}\n\n`,
      );
    },
  );

  exitingAction(
    orgs.command('rename').argument('<id>', 'organization id').argument('<name>', 'the new name').description('Rename an organization.'),
    async (id: string, name: string) => {
      const row = await withTenantAdmin(open, (admin) => admin.renameOrganization(idArgument(id, 'The organization id'), name.trim()));
      process.stdout.write(`Organization ${row.id} is now "${row.name}".\n`);
    },
  );
}
