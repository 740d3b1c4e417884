import type { Command } from 'commander';
import type { Changeset, ChangesetDetail, ChangesetQuery, ChangesetRevert } from '../../client/index.js';
import { renderChange } from '../../domain/suggestion-text.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { resolveProject } from '../refs.js';
import { plural, type Style, styleFor, table } from '../terminal.js';

const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');

function idArg(id: string): number {
  if (!/^\d{1,10}$/.test(id)) throw new CliExit(EXIT.usage, `Not a changeset id: "${id}".`);
  return Number(id);
}

function renderList(items: Changeset[]): string {
  if (!items.length) return 'No changesets yet.';
  const rows = items.map((c) => [String(c.id), c.kind, c.status, String(c.scenario_count), when(c.created_at), c.fields.join(', ') || '-', c.summary]);
  return table([['ID', 'KIND', 'STATUS', 'SCENARIOS', 'WHEN', 'FIELDS', 'SUMMARY'], ...rows]);
}

function renderShow(c: ChangesetDetail, style: Style): string {
  const from = [
    c.progress_id ? `job ${c.progress_id}` : '',
    c.session_id ? `session ${c.session_id}` : '',
    c.reverts ? `reverts changeset ${c.reverts}` : '',
  ].filter(Boolean);
  const lines = [
    style.bold(`Changeset ${c.id} (${c.kind}): ${c.summary || plural(c.scenario_count, 'scenario')}`),
    `${c.status.replace('_', ' ')} · ${plural(c.scenario_count, 'scenario')} · by ${c.actor} · ${when(c.created_at)}${from.length ? ` · ${from.join(' · ')}` : ''}`,
  ];
  if (c.reverted_by.length) lines.push(`reverted by changeset ${c.reverted_by.join(', ')}`);
  for (const item of c.items) {
    const action = item.action === 'update' ? '' : ` (${item.action === 'create' ? 'created' : 'deleted'})`;
    const undone = item.reverted_by !== null ? style.dim(' [reverted]') : '';
    lines.push('', style.bold(`#${item.scenario_id} ${item.scenario_name}`) + action + undone);
    const changes = Object.entries(item.changes).map(([f, ch]) => renderChange(f, ch, { style }));
    lines.push(...(changes.length ? changes : ['  (no field changes)']));
  }
  if (c.items.length < c.scenario_count) lines.push('', style.dim(`… ${c.scenario_count - c.items.length} more; use --json with --page to read them all.`));
  return lines.join('\n');
}

function renderRevert(r: ChangesetRevert, style: Style): string {
  const lines = [r.message];
  for (const c of r.conflicts) lines.push(style.yellow(`! #${c.scenario_id}: ${c.message}`));
  if (r.revert_changeset_id !== null) lines.push(style.dim(`Undo this revert with: scenarist changesets revert ${r.revert_changeset_id}`));
  return lines.join('\n');
}

/** `scenarist changesets list|show|revert`: every bulk write to scenarios, as a whole. */
export function registerChangesets(program: Command): void {
  const changesets = program
    .command('changesets')
    .description('Every write that changed scenarios in bulk (applies, bulk updates, imports): list, show as a diff, revert in one step.');

  const list = withConnection(
    changesets
      .command('list')
      .description('List changesets, newest first.')
      .option('--project <id|name>', 'of this project')
      .option('--session <id>', 'written from this session')
      .option('--scenario <id>', 'touching this scenario')
      .option('--job <progress_id>', 'written by this job'),
  );
  list.addHelpText('after', '\nExamples:\n  scenarist changesets list --project 1\n  scenarist changesets list --scenario 42');
  exitingAction(list, async (opts: ConnectionOptions & { project?: string; session?: string; scenario?: string; job?: string }) => {
    const client = clientFrom(opts);
    const query: ChangesetQuery = {};
    if (opts.project !== undefined) query.project_id = (await resolveProject(client, opts.project)).id;
    if (opts.session !== undefined) query.session_id = idArg(opts.session);
    if (opts.scenario !== undefined) query.scenario_id = idArg(opts.scenario);
    if (opts.job !== undefined) query.progress_id = opts.job;
    const page = await client.changesets.list(query);
    if (opts.json) printJson(page.results);
    else process.stdout.write(`${renderList(page.results)}\n`);
  });

  const show = withConnection(
    changesets
      .command('show')
      .description('Show one changeset: each scenario it touched, field by field.')
      .argument('<id>', 'the changeset id')
      .option('--page <n>', 'page of its scenarios (1000 to a page)', '1'),
  );
  show.addHelpText('after', '\nExample:\n  scenarist changesets show 12');
  exitingAction(show, async (id: string, opts: ConnectionOptions & { page: string }) => {
    const client = clientFrom(opts);
    const detail = await client.changesets.get(idArg(id), { page: Number(opts.page) || 1 });
    if (opts.json) printJson(detail);
    else process.stdout.write(`${renderShow(detail, styleFor(process.stdout))}\n`);
  });

  const revert = withConnection(
    changesets
      .command('revert')
      .description('Undo a changeset in one step. Scenarios changed since are left alone and named, unless --force.')
      .argument('<id>', 'the changeset id')
      .option('--force', 'undo scenarios changed since as well (only the fields the changeset changed go back)'),
  );
  revert.addHelpText(
    'after',
    '\nExamples:\n  scenarist changesets revert 12\n  scenarist changesets revert 12 --force\n\nExits 3 when some scenarios were left alone as conflicts.',
  );
  exitingAction(revert, async (id: string, opts: ConnectionOptions & { force?: boolean }) => {
    const client = clientFrom(opts);
    const result = await client.changesets.revert(idArg(id), { force: Boolean(opts.force) });
    if (opts.json) printJson(result);
    else process.stdout.write(`${renderRevert(result, styleFor(process.stdout))}\n`);
    return result.conflicts.length ? EXIT.conflict : EXIT.ok;
  });
}
