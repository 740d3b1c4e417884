import { DomainError } from '../domain/errors.js';
import { CliExit, EXIT } from './exit-codes.js';

export interface OrganizationRow {
  id: number;
  name: string;
  created_at: string;
}

export interface KeyRow {
  id: number;
  organization_id: number;
  name: string;
  prefix: string;
  project_id: number | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * What the operator commands (`orgs …`, `keys list|revoke`) do on the configured database. They
 * manage who may use the API, so they work without a key or a server; the composition root
 * (main.ts) supplies them over the store, and these command files stay on the CLI's side.
 * `org` undefined means the first organization.
 */
export interface TenantAdmin {
  listOrganizations(): Promise<OrganizationRow[]>;
  createOrganization(name: string): Promise<{ organization: OrganizationRow; projectId: number; key: string }>;
  renameOrganization(id: number, name: string): Promise<OrganizationRow>;
  listKeys(org: number | undefined): Promise<KeyRow[]>;
  revokeKey(keyId: number, org: number | undefined): Promise<KeyRow>;
}

export type OpenTenantAdmin = () => Promise<{ admin: TenantAdmin; close(): Promise<void> }>;

/** Runs one operator command, closing the database after it and mapping domain errors to exit codes. */
export async function withTenantAdmin<T>(open: OpenTenantAdmin, fn: (admin: TenantAdmin) => Promise<T>): Promise<T> {
  const { admin, close } = await open();
  try {
    return await fn(admin);
  } catch (err) {
    if (err instanceof DomainError) throw new CliExit(err.kind === 'not_found' ? EXIT.notFound : EXIT.usage, err.message);
    throw err;
  } finally {
    await close();
  }
}

/** A positive integer argument, or a usage error naming it. */
export function idArgument(value: string, what: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) throw new CliExit(EXIT.usage, `${what} must be a positive integer, not "${value}".`);
  return Number(value);
}

/** Rows as aligned columns for a terminal. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return `${[headers, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}
