import fs from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { ApiError, type Scenario, type ScenarioCreate, type ScenaristClient } from '../../client/index.js';
import { clientFrom, printJson, withConnection, type ConnectionOptions } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { agentBook, personalityBook, resolveProject } from '../refs.js';
import {
  changedFields,
  fileNameFor,
  isScenarioFile,
  parseScenarioFile,
  serialize,
  serializeAll,
  toDesired,
  toFileRecord,
  type DesiredScenario,
  type FileFormat,
  type References,
} from '../scenario-files.js';
import { plural } from '../terminal.js';

async function referencesFor(client: ScenaristClient, projectId: number): Promise<References> {
  const [agents, personalities] = await Promise.all([agentBook(client, projectId), personalityBook(client, projectId)]);
  return {
    refForAgent: (id) => agents.refFor(id),
    refForPersonality: (id) => personalities.refFor(id),
    agentId: (ref) => agents.idFor(ref),
    personalityId: (ref) => personalities.idFor(ref),
  };
}

export function registerScenarios(program: Command): void {
  const scenarios = program.command('scenarios').description('Keep scenarios in files (and in git): export them, edit and review them as diffs, import them back.');

  const exp = withConnection(
    scenarios
      .command('export')
      .description("Write a project's scenarios, one file per scenario, with stable field order and file names from the scenario names.")
      .requiredOption('--project <id|name>', 'the project')
      .addOption(new Option('--format <format>', 'file format').choices(['yaml', 'json']).default('yaml'))
      .option('--out <dir>', 'directory to write into (default: all scenarios to stdout)')
      .option('--prune', 'with --out: delete scenario files in the directory that no scenario was exported to'),
  ).addHelpText('after', '\nExamples:\n  scenarist scenarios export --project 1 --out scenarios/\n  scenarist scenarios export --project Default --format json > scenarios.json');
  exitingAction(exp, async (opts: ConnectionOptions & { project: string; format: FileFormat; out?: string; prune?: boolean }) => {
    const client = clientFrom(opts);
    if (opts.prune && !opts.out) throw new CliExit(EXIT.usage, '--prune needs --out <dir>.');
    const project = await resolveProject(client, opts.project);
    const [list, refs] = await Promise.all([client.scenarios.all({ project_id: project.id }), referencesFor(client, project.id)]);
    const rows = [...list].sort((a, b) => a.id - b.id);
    const records = rows.map((s) => toFileRecord(s, refs));
    if (!opts.out) {
      process.stdout.write(serializeAll(records, opts.format));
      return;
    }
    await fs.mkdir(opts.out, { recursive: true });
    const taken = new Set<string>();
    const written: Array<{ file: string; id: number; name: string; changed: boolean }> = [];
    for (const [i, s] of rows.entries()) {
      const file = fileNameFor(s.name, opts.format, taken);
      const text = serialize(records[i]!, opts.format);
      const target = path.join(opts.out, file);
      const before = await fs.readFile(target, 'utf8').catch(() => null);
      // Unchanged files are left alone, so their modification times (and make-style tools) stay quiet.
      if (before !== text) await fs.writeFile(target, text);
      written.push({ file, id: s.id, name: s.name, changed: before !== text });
    }
    const stale = (await fs.readdir(opts.out)).filter((f) => isScenarioFile(f) && !taken.has(f)).sort();
    if (opts.prune) for (const f of stale) await fs.rm(path.join(opts.out, f));
    if (opts.json) return void printJson({ directory: opts.out, files: written, [opts.prune ? 'removed' : 'not_exported']: stale });
    const changed = written.filter((w) => w.changed).length;
    const lines = [`Exported ${plural(written.length, 'scenario')} of project ${project.id} (${project.name}) to ${opts.out}: ${changed} file(s) written, ${written.length - changed} already up to date.`];
    if (stale.length) {
      lines.push(
        opts.prune
          ? `Removed ${plural(stale.length, 'file')} with no scenario: ${stale.join(', ')}.`
          : `${plural(stale.length, 'file')} in ${opts.out} ${stale.length === 1 ? 'matches' : 'match'} no exported scenario (deleted or renamed?): ${stale.join(', ')}. --prune removes them.`,
      );
    }
    process.stdout.write(lines.join('\n') + '\n');
  });

  const imp = withConnection(
    scenarios
      .command('import')
      .description('Create or update scenarios from files, matching them by name within the project. Running it twice changes nothing the second time.')
      .argument('<paths...>', 'directories (their .yaml, .yml and .json files) or files')
      .requiredOption('--project <id|name>', 'the project')
      .option('--dry-run', 'say what would change, change nothing'),
  ).addHelpText(
    'after',
    `
Examples:
  scenarist scenarios import --project 1 scenarios/
  scenarist scenarios import --project Default --dry-run scenarios/refund-for-a-double-charge.yaml

Fields a file leaves out take their defaults. Agents and personalities may be named or given by id.
Scenarios missing from the files are left alone; every file is checked before anything is written.`,
  );
  exitingAction(imp, async (paths: string[], opts: ConnectionOptions & { project: string; dryRun?: boolean }) => {
    const client = clientFrom(opts);
    const files = await scenarioFilesIn(paths);
    const project = await resolveProject(client, opts.project);
    const refs = await referencesFor(client, project.id);

    const existing = await scenariosByName(client, project.id);
    const { wanted, problems } = await checkFiles(files, refs, existing, project.id);
    if (problems.length) throw new CliExit(EXIT.usage, `Nothing was imported:\n${problems.map((p) => `  ${p}`).join('\n')}`);

    if (!opts.dryRun) await ensureFolders(client, project.id, wanted.map((w) => w.scenario.folder_path as string | null));
    const report = { created: [] as Item[], updated: [] as Item[], unchanged: [] as Item[], failed: [] as Array<Item & { errors: string[] }> };
    for (const { file, scenario } of wanted) {
      const name = scenario.name as string;
      const current = existing.get(name)?.[0];
      const fields = current ? changedFields(current, scenario) : [];
      try {
        if (!current) {
          const id = opts.dryRun ? null : (await client.scenarios.create({ ...scenario, project: project.id } as unknown as ScenarioCreate)).id;
          report.created.push({ file, id, name });
        } else if (fields.length) {
          if (!opts.dryRun) await client.scenarios.update(current.id, Object.fromEntries(fields.map((f) => [f, scenario[f]])));
          report.updated.push({ file, id: current.id, name, fields });
        } else report.unchanged.push({ file, id: current.id, name });
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 400) throw e;
        report.failed.push({ file, id: current?.id ?? null, name, errors: Object.entries(e.fieldErrors ?? {}).map(([f, m]) => `${f}: ${m.join(' ')}`) });
      }
    }
    if (opts.json) printJson({ dry_run: Boolean(opts.dryRun), ...report });
    else process.stdout.write(renderImport(report, Boolean(opts.dryRun)) + '\n');
    return report.failed.length ? EXIT.usage : EXIT.ok;
  });
}

async function scenariosByName(client: ScenaristClient, projectId: number): Promise<Map<string, Scenario[]>> {
  const byName = new Map<string, Scenario[]>();
  for (const s of await client.scenarios.all({ project_id: projectId })) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  return byName;
}

/**
 * Reads and checks every file before anything is written, so a typo anywhere stops the import:
 * each record must parse and be a valid scenario, and its name must identify one scenario.
 */
async function checkFiles(files: string[], refs: References, existing: Map<string, Scenario[]>, projectId: number) {
  const wanted: Array<{ file: string; scenario: DesiredScenario }> = [];
  const problems: string[] = [];
  for (const file of files) {
    let records: Record<string, unknown>[];
    try {
      records = parseScenarioFile(await fs.readFile(file, 'utf8'), file);
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    for (const record of records) {
      const { scenario, errors } = toDesired(record, refs);
      if (scenario) wanted.push({ file, scenario });
      else problems.push(...errors.map((m) => `${file}: ${m}`));
    }
  }
  const filesByName = new Map<string, string[]>();
  for (const w of wanted) filesByName.set(w.scenario.name as string, [...(filesByName.get(w.scenario.name as string) ?? []), w.file]);
  for (const [name, where] of filesByName) if (where.length > 1) problems.push(`"${name}" is defined more than once: ${where.join(', ')}`);
  for (const w of wanted) {
    const same = existing.get(w.scenario.name as string) ?? [];
    if (same.length > 1) problems.push(`${w.file}: project ${projectId} has ${same.length} scenarios named "${w.scenario.name}" (${same.map((s) => `#${s.id}`).join(', ')}); rename one so the name identifies it.`);
  }
  return { wanted, problems };
}

interface Item {
  file: string;
  id: number | null;
  name: string;
  fields?: string[];
}

function renderImport(r: { created: Item[]; updated: Item[]; unchanged: Item[]; failed: Array<Item & { errors: string[] }> }, dryRun: boolean): string {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  const line = (label: string, i: Item, extra = '') => `${label.padEnd(dryRun ? 16 : 10)} ${i.file}  ${i.id ? `#${i.id} ` : ''}${i.name.replace(/\s+/g, ' ')}${extra}`;
  const lines = [
    ...r.created.map((i) => line(verb('created', 'would create'), i)),
    ...r.updated.map((i) => line(verb('updated', 'would update'), i, ` (${i.fields!.join(', ')})`)),
    ...r.unchanged.map((i) => line('unchanged', i)),
    ...r.failed.flatMap((i) => [line('failed', i), ...i.errors.map((m) => `  ${m}`)]),
  ];
  const counts = `${r.created.length} ${verb('created', 'to create')}, ${r.updated.length} ${verb('updated', 'to update')}, ${r.unchanged.length} unchanged${r.failed.length ? `, ${r.failed.length} failed` : ''}.`;
  return [...lines, (dryRun ? 'Dry run, nothing written: ' : '') + counts].join('\n');
}

async function scenarioFilesIn(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => null);
    if (!stat) throw new CliExit(EXIT.usage, `No such file or directory: ${p}`);
    if (stat.isDirectory()) out.push(...(await fs.readdir(p)).filter(isScenarioFile).sort().map((f) => path.join(p, f)));
    else out.push(p);
  }
  if (!out.length) throw new CliExit(EXIT.usage, `No .yaml, .yml or .json files in ${paths.join(', ')}.`);
  return out;
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
