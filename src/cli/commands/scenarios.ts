import fs from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { ApiError, type Scenario, type ScenarioCreate, type ScenaristClient, type TestProfile } from '../../client/index.js';
import { type ConnectionOptions, clientFrom, printJson, serverUrl, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { projectConfig } from '../project-config.js';
import { applyDefinitions, type Definitions, readDefinitions, writeDefinitions } from '../project-definitions.js';
import { agentBook, chosenProject, NameBook, personalityBook, resolveAgent } from '../refs.js';
import { type FileFormat, fileNameFor, parseScenarioFile, type References, serialize, serializeAll, toFileRecord } from '../scenario-files.js';
import {
  directoryForFolder,
  type Identity,
  type Plan,
  type PlanItem,
  planImport,
  readScenarioFiles,
  serverIdentity,
  stampIdentity,
  walkScenarioFiles,
} from '../scenario-repo.js';
import { type SelectionOptions, selectScenarios, withSelection } from '../scenario-selection.js';
import { plural, table } from '../terminal.js';

/**
 * How files name agents, personalities and test profiles in this project. `pending`: names a dry
 * run would create first (from _project.yaml), given stand-in ids so the files can still be checked.
 */
async function referencesFor(client: ScenaristClient, projectId: number, pending: Definitions | null = null): Promise<References> {
  const [agents, personalities, profiles] = await Promise.all([
    agentBook(client, projectId),
    personalityBook(client, projectId),
    client.testProfiles.list({ project_id: projectId }).then((items) => new NameBook<TestProfile>('test profile', items, (t) => t.name)),
  ]);
  const standIn =
    <T extends { id: number }>(names: string[] | undefined, book: NameBook<T>) =>
    (ref: string | number) => {
      const wanted = String(ref).trim().toLowerCase();
      const i = typeof ref === 'string' ? (names ?? []).findIndex((n) => n.toLowerCase() === wanted) : -1;
      return i >= 0 && !book.items.some((x) => book.nameOf(x).toLowerCase() === wanted) ? 2_000_000_000 + i : book.idFor(ref);
    };
  return {
    refForAgent: (id) => agents.refFor(id),
    refForPersonality: (id) => personalities.refFor(id),
    refForTestProfile: (id) => profiles.refFor(id),
    agentId: standIn(
      pending?.agents.map((a) => a.name),
      agents,
    ),
    personalityId: standIn(
      pending?.personalities.map((p) => p.name),
      personalities,
    ),
    testProfileId: standIn(
      pending?.test_profiles.map((t) => t.name),
      profiles,
    ),
  };
}

const PROJECT_OPTION = ['--project <id|name>', 'the project (default: SCENARIST_PROJECT, scenarist.yaml, or the only one)'] as const;

/** Where the files live: the paths given, else the config file's `scenarios` directory. */
function filePaths(given: string[]): string[] {
  if (given.length) return given;
  const dir = projectConfig()?.scenarios;
  if (!dir) throw new CliExit(EXIT.usage, 'Say where the scenario files are: a directory or files, or `scenarios:` in scenarist.yaml.');
  return [dir];
}

/** The files already in an export directory, by the id they carry for this server (single-scenario files only). */
async function trackedFiles(dir: string, server: string): Promise<{ byId: Map<number, string>; untracked: Map<string, string>; all: string[] }> {
  const byId = new Map<number, string>();
  const untracked = new Map<string, string>();
  const all = await walkScenarioFiles(dir).catch(() => [] as string[]);
  for (const file of all) {
    let records: Record<string, unknown>[];
    try {
      records = parseScenarioFile(await fs.readFile(file, 'utf8'), file);
    } catch {
      continue;
    }
    if (records.length !== 1) continue;
    const { id, server: from, name } = records[0]!;
    if (typeof id === 'number' && typeof from === 'string' && serverIdentity(from) === server) byId.set(id, file);
    else if (typeof name === 'string') untracked.set(`${path.dirname(file)}\0${name.trim()}`, file);
  }
  return { byId, untracked, all };
}

export function registerScenarios(program: Command): void {
  const scenarios = program
    .command('scenarios')
    .description('List and show scenarios; keep them in files (and in git): export them, edit and review them as diffs, import them back.');

  const list = withConnection(
    withSelection(
      scenarios
        .command('list')
        .description("List a project's scenarios with their ids, filtered by agent, tag, folder, name or text.")
        .option(...PROJECT_OPTION)
        .option('--agent <id|name>', "only this agent's scenarios"),
      { search: true },
    ),
  ).addHelpText('after', '\nExamples:\n  scenarist scenarios list --tag billing\n  scenarist scenarios list --agent "Billing line" --folder Billing.Refunds');
  exitingAction(list, async (opts: ConnectionOptions & SelectionOptions & { project?: string; agent?: string }) => {
    const client = clientFrom(opts);
    const project = await chosenProject(client, opts.project);
    const agentRef = opts.agent;
    const agent = agentRef ? await resolveAgent(client, agentRef, project.id) : undefined;
    const [items, agents] = await Promise.all([selectScenarios(client, { projectId: project.id, agentId: agent?.id }, opts), agentBook(client, project.id)]);
    if (opts.json) return void printJson(items);
    if (!items.length) return void process.stdout.write('No scenarios match.\n');
    const rows = items.map((x) => [String(x.id), x.name.replace(/\s+/g, ' '), agents.name(x.agent) ?? '-', x.folder_path ?? '-', x.tags.join(',') || '-']);
    process.stdout.write(`${table([['ID', 'NAME', 'AGENT', 'FOLDER', 'TAGS'], ...rows])}\n${plural(items.length, 'scenario')}.\n`);
  });

  const show = withConnection(
    scenarios.command('show').description('Show one scenario as its file would hold it, with its id.').argument('<id>', 'the scenario id'),
  );
  exitingAction(show, async (id: string, opts: ConnectionOptions) => {
    const client = clientFrom(opts);
    if (!/^\d{1,10}$/.test(id)) throw new CliExit(EXIT.usage, `Not a scenario id: "${id}".`);
    const scenario = await client.scenarios.get(Number(id)).catch((e: unknown) => {
      throw e instanceof ApiError && e.status === 404 ? new CliExit(EXIT.notFound, `No scenario with id ${id}.`) : e;
    });
    if (opts.json) return void printJson(scenario);
    const refs = await referencesFor(client, scenario.project ?? (await chosenProject(client, undefined)).id);
    process.stdout.write(serialize(toFileRecord(scenario, refs, { server: serverIdentity(serverUrl(opts)) }), 'yaml'));
  });

  const exp = withConnection(
    scenarios
      .command('export')
      .description(
        "Write a project's scenarios, one file per scenario in a directory per folder; each file carries its scenario's id, so it can be renamed and moved.",
      )
      .option(...PROJECT_OPTION)
      .addOption(new Option('--format <format>', 'file format for new files').choices(['yaml', 'json']).default('yaml'))
      .option('--out <dir>', "directory to write into (default: scenarist.yaml's scenarios directory, else all scenarios to stdout)")
      .option('--prune', 'with a directory: delete scenario files in it that no scenario was exported to'),
  ).addHelpText(
    'after',
    '\nExamples:\n  scenarist scenarios export --project 1 --out scenarios/\n  scenarist scenarios export --project Default --format json > scenarios.json',
  );
  exitingAction(exp, async (opts: ConnectionOptions & { project?: string; format: FileFormat; out?: string; prune?: boolean }) => {
    const client = clientFrom(opts);
    const out = opts.out ?? projectConfig()?.scenarios;
    if (opts.prune && !out) throw new CliExit(EXIT.usage, '--prune needs --out <dir>.');
    const project = await chosenProject(client, opts.project);
    const server = serverIdentity(serverUrl(opts));
    const [list, refs] = await Promise.all([client.scenarios.all({ project_id: project.id }), referencesFor(client, project.id)]);
    const rows = [...list].sort((a, b) => a.id - b.id);
    if (!out) {
      process.stdout.write(
        serializeAll(
          rows.map((s) => toFileRecord(s, refs)),
          opts.format,
        ),
      );
      return;
    }
    const existing = await trackedFiles(out, server);
    const taken = new Map<string, Set<string>>();
    const takenIn = async (dir: string) => {
      if (!taken.has(dir)) taken.set(dir, new Set(await fs.readdir(dir).catch(() => [] as string[])));
      return taken.get(dir)!;
    };
    const written: Array<{ file: string; id: number; name: string; changed: boolean; moved_from?: string }> = [];
    const kept = new Set<string>();
    for (const s of rows) {
      const sub = directoryForFolder(s.folder_path);
      const dir = path.join(out, sub ?? '');
      const known = existing.byId.get(s.id) ?? existing.untracked.get(`${dir}\0${s.name}`);
      const names = await takenIn(dir);
      let target: string;
      if (known && path.dirname(known) === dir) target = known;
      else if (known && !names.has(path.basename(known))) target = path.join(dir, path.basename(known));
      else target = path.join(dir, fileNameFor(s.name, known && /\.json$/i.test(known) ? 'json' : opts.format, names));
      names.add(path.basename(target));
      const format: FileFormat = /\.json$/i.test(target) ? 'json' : 'yaml';
      const text = serialize(toFileRecord(s, refs, { server, folderInPath: sub !== null }), format);
      const before = await fs.readFile(target, 'utf8').catch(() => null);
      // Unchanged files are left alone, so their modification times (and make-style tools) stay quiet.
      if (before !== text) {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(target, text);
      }
      if (known && known !== target) await fs.rm(known, { force: true });
      kept.add(target);
      written.push({ file: target, id: s.id, name: s.name, changed: before !== text, ...(known && known !== target ? { moved_from: known } : {}) });
    }
    const definitions = await writeDefinitions(client, project.id, out);
    const movedAway = new Set(written.flatMap((w) => (w.moved_from ? [w.moved_from] : [])));
    const stale = existing.all.filter((f) => !kept.has(f) && !movedAway.has(f)).sort();
    if (opts.prune) for (const f of stale) await fs.rm(f);
    if (opts.json) return void printJson({ directory: out, files: written, definitions, [opts.prune ? 'removed' : 'not_exported']: stale });
    const changed = written.filter((w) => w.changed).length;
    const lines = [
      `Exported ${plural(written.length, 'scenario')} of project ${project.id} (${project.name}) to ${out}: ${changed} file(s) written, ${written.length - changed} already up to date.`,
      ...(definitions.changed ? [`Wrote the agents, personalities and test profiles they refer to into ${definitions.file}.`] : []),
    ];
    for (const w of written) if (w.moved_from) lines.push(`  moved ${w.moved_from} → ${w.file} (its folder changed)`);
    if (stale.length) {
      lines.push(
        opts.prune
          ? `Removed ${plural(stale.length, 'file')} with no scenario: ${stale.join(', ')}.`
          : `${plural(stale.length, 'file')} in ${out} ${stale.length === 1 ? 'matches' : 'match'} no exported scenario (deleted on the server?): ${stale.join(', ')}. --prune removes them.`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  const imp = withConnection(
    scenarios
      .command('import')
      .description(
        "Create or update scenarios from files: a file's id says which scenario it is, so renamed and moved files update theirs. Running it twice changes nothing the second time.",
      )
      .argument(
        '[paths...]',
        "directories (their .yaml, .yml and .json files, sub-directories as folders) or files (default: scenarist.yaml's scenarios directory)",
      )
      .option(...PROJECT_OPTION)
      .option('--prune', "delete the project's scenarios that no file describes (their files were deleted)")
      .option('--dry-run', 'say what would change, change nothing'),
  ).addHelpText(
    'after',
    `
Examples:
  scenarist scenarios import --project 1 scenarios/
  scenarist scenarios import --prune --dry-run scenarios/
  scenarist scenarios import --project Default --dry-run scenarios/refund-for-a-double-charge.yaml

Fields a file leaves out take their defaults. Agents and personalities may be named or given by id.
A file without an id is matched by name (or creates a scenario), then given its id. Scenarios
missing from the files are left alone unless --prune; every file is checked before anything is written.`,
  );
  exitingAction(imp, async (given: string[], opts: ConnectionOptions & { project?: string; dryRun?: boolean; prune?: boolean }) => {
    const client = clientFrom(opts);
    const paths = filePaths(given);
    const project = await chosenProject(client, opts.project);
    const server = serverIdentity(serverUrl(opts));
    const dry = Boolean(opts.dryRun);
    // The agents and personalities the files refer to come first, so a fresh server can take the files.
    const defsDir = (await fs.stat(paths[0]!).catch(() => null))?.isDirectory() ? paths[0]! : null;
    const defs = defsDir ? await readDefinitions(defsDir) : null;
    const definitions = defs ? await applyDefinitions(client, project.id, defs, dry) : { created: [], updated: [] };
    const refs = await referencesFor(client, project.id, dry ? defs : null);
    const { found, problems, roots } = await readScenarioFiles(paths, refs);
    if (opts.prune && roots.length !== paths.length)
      throw new CliExit(EXIT.usage, '--prune needs directories, not single files: it deletes every scenario the directories do not describe.');
    const plan = planImport(found, await client.scenarios.all({ project_id: project.id }), server);
    problems.push(...plan.problems);
    if (problems.length) throw new CliExit(EXIT.usage, `Nothing was imported:\n${problems.map((p) => `  ${p}`).join('\n')}`);

    if (!dry)
      await ensureFolders(
        client,
        project.id,
        found.map((f) => f.scenario.folder_path as string | null),
      );
    const report = {
      created: [] as Item[],
      updated: [] as Item[],
      unchanged: [] as Item[],
      removed: [] as Item[],
      failed: [] as Array<Item & { errors: string[] }>,
    };
    const stamps = new Map<string, Map<number, Identity>>();
    const stamp = (i: PlanItem, id: number) => stamps.set(i.file, (stamps.get(i.file) ?? new Map()).set(i.source.index, { id, server }));
    const item = (i: PlanItem, id = i.id): Item => ({
      file: i.file,
      id,
      name: i.name,
      ...(i.fields ? { fields: i.fields } : {}),
      ...(i.note ? { note: i.note } : {}),
    });
    const removing = opts.prune ? plan.missing : [];
    let changesetId: number | null = null;
    if (!dry && (plan.create.length || plan.update.length || removing.length)) {
      // One request, one transaction, one changeset: the whole import is undone by one revert.
      try {
        const out = await client.scenarios.import({
          project_id: project.id,
          create: plan.create.map((i) => ({ ...i.source.scenario, project: project.id }) as unknown as ScenarioCreate),
          update: plan.update.map((i) => ({ id: i.id!, fields: Object.fromEntries(i.fields!.map((f) => [f, i.source.scenario[f]])) })),
          delete: removing.map((s) => s.id),
        });
        for (const [k, id] of out.created.entries()) stamp(plan.create[k]!, id);
        changesetId = out.changeset_id;
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 400) throw e;
        report.failed.push(
          ...importFailures(e.fieldErrors ?? {}, { create: plan.create, update: plan.update }).map(({ i, errors }) => ({ ...item(i), errors })),
        );
        if (!report.failed.length) throw e;
      }
    }
    if (!report.failed.length) {
      report.created.push(...plan.create.map((i) => item(i, stamps.get(i.file)?.get(i.source.index)?.id ?? null)));
      report.updated.push(...plan.update.map((i) => item(i)));
      report.removed.push(...removing.map((s) => ({ file: '', id: s.id, name: s.name })));
    }
    report.unchanged.push(...plan.unchanged.map((i) => item(i)));
    for (const i of plan.stamp) stamp(i, i.id!);
    if (!dry) for (const [file, byIndex] of stamps) await stampIdentity(file, byIndex);
    if (opts.json)
      printJson({
        dry_run: dry,
        definitions,
        changeset_id: changesetId,
        ...report,
        not_in_files: opts.prune ? [] : plan.missing.map((s) => ({ id: s.id, name: s.name })),
      });
    else {
      const defLines = [
        ...definitions.created.map((d) => `${(dry ? 'would create' : 'created').padEnd(dry ? 16 : 10)} ${d}`),
        ...definitions.updated.map((d) => `${(dry ? 'would update' : 'updated').padEnd(dry ? 16 : 10)} ${d}`),
      ];
      const undo =
        changesetId === null ? [] : [`Recorded as changeset ${changesetId}: \`scenarist changesets revert ${changesetId}\` undoes the whole import.`];
      process.stdout.write(`${[...defLines, renderImport(report, dry, opts.prune ? [] : plan.missing), ...undo].join('\n')}\n`);
    }
    return report.failed.length ? EXIT.usage : EXIT.ok;
  });

  const status = withConnection(
    program
      .command('status')
      .description('Show what differs between the scenario files and the server, per scenario and field; writes nothing.')
      .argument('[paths...]', "directories or files (default: scenarist.yaml's scenarios directory)")
      .option(...PROJECT_OPTION),
  ).addHelpText('after', '\nExamples:\n  scenarist status\n  scenarist status --project Default scenarios/');
  exitingAction(status, async (given: string[], opts: ConnectionOptions & { project?: string }) => {
    const client = clientFrom(opts);
    const paths = filePaths(given);
    const project = await chosenProject(client, opts.project);
    const server = serverIdentity(serverUrl(opts));
    const defsDir = (await fs.stat(paths[0]!).catch(() => null))?.isDirectory() ? paths[0]! : null;
    const defs = defsDir ? await readDefinitions(defsDir) : null;
    const { found, problems, roots } = await readScenarioFiles(paths, await referencesFor(client, project.id, defs));
    const plan = planImport(found, await client.scenarios.all({ project_id: project.id }), server);
    problems.push(...plan.problems);
    // Single files say nothing about the scenarios they leave out.
    const missing = roots.length === paths.length ? plan.missing : [];
    if (opts.json) {
      printJson({ project: project.id, problems, ...summarize(plan), server_only: missing.map((s) => ({ id: s.id, name: s.name })) });
    } else process.stdout.write(`${renderStatus(plan, missing, problems, project)}\n`);
    return problems.length ? EXIT.usage : EXIT.ok;
  });
}

function summarize(plan: Plan) {
  const brief = (i: PlanItem) => ({ file: i.file, id: i.id, name: i.name, ...(i.fields ? { fields: i.fields } : {}), ...(i.note ? { note: i.note } : {}) });
  return { new: plan.create.map(brief), modified: plan.update.map(brief), unchanged: plan.unchanged.map(brief) };
}

function renderStatus(plan: Plan, missing: Scenario[], problems: string[], project: { id: number; name: string }): string {
  const lines: string[] = [];
  const name = (s: string) => s.replace(/\s+/g, ' ');
  for (const i of plan.update) {
    const renamed = i.fields!.includes('name') ? ` (was "${name(i.current!.name)}")` : '';
    const moved = i.fields!.includes('folder_path') ? ` (folder ${i.current!.folder_path ?? '(none)'} → ${i.source.scenario.folder_path ?? '(none)'})` : '';
    lines.push(`modified      ${i.file}  #${i.id} ${name(i.name)}${renamed}${moved}: ${i.fields!.join(', ')}`);
  }
  for (const i of plan.create) lines.push(`new           ${i.file}  ${name(i.name)}${i.note ? ` (${i.note})` : ''}`);
  for (const s of missing)
    lines.push(`server only   #${s.id} ${name(s.name)}  (no file: \`scenarios export\` writes one, \`scenarios import --prune\` deletes it)`);
  for (const p of problems) lines.push(`problem       ${p}`);
  const counts = [
    `${plan.update.length} modified`,
    `${plan.create.length} new`,
    `${missing.length} on the server only`,
    `${plan.unchanged.length} unchanged`,
    ...(problems.length ? [plural(problems.length, 'problem')] : []),
  ];
  const clean = !plan.update.length && !plan.create.length && !missing.length && !problems.length;
  return [
    ...lines,
    clean
      ? `The files and project ${project.id} (${project.name}) agree: ${plan.unchanged.length} unchanged.`
      : `Project ${project.id} (${project.name}): ${counts.join(', ')}.`,
  ].join('\n');
}

interface Item {
  file: string;
  id: number | null;
  name: string;
  fields?: string[];
  note?: string;
}

function renderImport(
  r: { created: Item[]; updated: Item[]; unchanged: Item[]; removed: Item[]; failed: Array<Item & { errors: string[] }> },
  dryRun: boolean,
  missing: Scenario[],
): string {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  const line = (label: string, i: Item, extra = '') =>
    `${label.padEnd(dryRun ? 16 : 10)} ${i.file ? `${i.file}  ` : ''}${i.id ? `#${i.id} ` : ''}${i.name.replace(/\s+/g, ' ')}${extra}${i.note ? ` [${i.note}]` : ''}`;
  const lines = [
    ...r.created.map((i) => line(verb('created', 'would create'), i)),
    ...r.updated.map((i) => line(verb('updated', 'would update'), i, ` (${i.fields!.join(', ')})`)),
    ...r.unchanged.map((i) => line('unchanged', i)),
    ...r.removed.map((i) => line(verb('deleted', 'would delete'), i, ' (no file)')),
    ...r.failed.flatMap((i) => [line('failed', i), ...i.errors.map((m) => `  ${m}`)]),
  ];
  const counts = `${r.created.length} ${verb('created', 'to create')}, ${r.updated.length} ${verb('updated', 'to update')}, ${r.unchanged.length} unchanged${r.removed.length ? `, ${r.removed.length} ${verb('deleted', 'to delete')}` : ''}${r.failed.length ? `, ${r.failed.length} failed` : ''}.`;
  const left = missing.length
    ? [
        `${plural(missing.length, 'scenario')} of the project ${missing.length === 1 ? 'has' : 'have'} no file and ${missing.length === 1 ? 'was' : 'were'} left alone (${missing.map((s) => `#${s.id}`).join(', ')}); --prune deletes them.`,
      ]
    : [];
  // An import is one transaction: one refused scenario leaves every other unwritten too.
  const refused = r.failed.length ? [`Nothing was written: ${plural(r.failed.length, 'scenario')} refused, and an import is all or nothing.`] : [];
  return [...lines, ...(refused.length ? refused : [(dryRun ? 'Dry run, nothing written: ' : '') + counts]), ...left].join('\n');
}

/**
 * The plan items a refused import names, with their messages: the server reports each problem by
 * list and index (`create: ["3.name: …"]`, `update: ["0.fields.tags: …"]`).
 */
function importFailures(fieldErrors: Record<string, string[]>, lists: { create: PlanItem[]; update: PlanItem[] }): Array<{ i: PlanItem; errors: string[] }> {
  const byItem = new Map<PlanItem, string[]>();
  for (const [list, items] of Object.entries(lists)) {
    for (const message of fieldErrors[list] ?? []) {
      const m = /^(\d+)(?:\.(?:fields\.)?([^:]+))?: (.*)$/s.exec(message);
      const i = m ? items[Number(m[1])] : undefined;
      if (!i) continue;
      byItem.set(i, [...(byItem.get(i) ?? []), m![2] ? `${m![2]}: ${m![3]}` : m![3]!]);
    }
  }
  return [...byItem].map(([i, errors]) => ({ i, errors }));
}

/** Folders the files name that the project lacks, created parents first (scenarios may only name existing ones). */
async function ensureFolders(client: ScenaristClient, projectId: number, paths: Array<string | null>): Promise<void> {
  const needed = new Set<string>();
  for (const p of paths) {
    if (!p) continue;
    const parts = p.split('.');
    for (let i = 1; i <= parts.length; i++) needed.add(parts.slice(0, i).join('.'));
  }
  if (!needed.size) return;
  const have = new Set<string>();
  for await (const f of client.paginate<{ path: string }>('scenarios/folders/', { project_id: projectId })) have.add(f.path);
  for (const p of [...needed].sort((a, b) => a.split('.').length - b.split('.').length)) {
    if (have.has(p)) continue;
    const cut = p.lastIndexOf('.');
    await client.scenarios.createFolder({ project_id: projectId, name: p.slice(cut + 1), parent_path: cut > 0 ? p.slice(0, cut) : null });
  }
}
