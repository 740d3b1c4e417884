import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { Scenario } from '../client/index.js';
import type { ScenarioField } from '../domain/scenario.js';
import { CliExit, EXIT } from './exit-codes.js';
import { changedFields, type DesiredScenario, isScenarioFile, parseScenarioFile, type References, toDesired } from './scenario-files.js';

/**
 * A directory of scenario files as the source of truth: each file carries the id of its scenario
 * and the server it belongs to, so a file renamed, moved or edited still updates that scenario;
 * sub-directories are folders (`Billing/Refunds/x.yaml` is folder `Billing.Refunds`).
 */

/** The file at the root of an export that holds the agents, personalities and test profiles. */
export const DEFINITIONS_FILE = '_project.yaml';

/** A server as files name it: its origin and path, without the API prefix or a trailing slash. */
export function serverIdentity(url: string): string {
  const u = new URL(url);
  return (u.origin + u.pathname).replace(/\/+$/, '').replace(/\/test_framework\/v1$/, '');
}

/** A folder path from a file's directory under the root, or null for a file at the root. */
export function folderFromDirectory(root: string, file: string): string | null {
  const rel = path.relative(root, path.dirname(file));
  if (!rel || rel.startsWith('..')) return null;
  return rel.split(path.sep).join('.');
}

/** The directory a folder path is written to; null when a segment cannot be a directory name. */
export function directoryForFolder(folderPath: string | null): string | null {
  if (!folderPath) return '';
  const parts = folderPath.split('.');
  if (parts.some((p) => !p || p === '..' || /[/\\\0]/.test(p) || p.startsWith('.'))) return null;
  return path.join(...parts);
}

/** Scenario files under a directory, depth first in name order; hidden directories and the definitions file skipped. */
export async function walkScenarioFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkScenarioFiles(full, root)));
    else if (isScenarioFile(e.name) && !(dir === root && e.name === DEFINITIONS_FILE)) out.push(full);
  }
  return out;
}

/** One scenario a file describes, with where it lives and the identity it carries. */
export interface FileScenario {
  file: string;
  /** Its position among the file's documents (most files hold one). */
  index: number;
  /** The root the file was found under, when it was found in a directory. */
  root: string | null;
  id: number | null;
  server: string | null;
  scenario: DesiredScenario;
}

export interface Identity {
  id: number | null;
  server: string | null;
}

/** Takes the identity fields off a record, checking their types. */
function takeIdentity(record: Record<string, unknown>, errors: string[]): Identity {
  const { id, server } = record;
  delete record.id;
  delete record.server;
  if (id !== undefined && id !== null && !(Number.isInteger(id) && (id as number) > 0))
    errors.push('id: must be a scenario id (a whole number), or left out for a new scenario');
  if (server !== undefined && server !== null && typeof server !== 'string') errors.push('server: must be the URL of the server the id belongs to');
  return { id: typeof id === 'number' ? id : null, server: typeof server === 'string' ? server : null };
}

/**
 * Reads every file before anything is written, so a typo anywhere stops the import. Files found
 * under a directory take their folder from it; a file named alone keeps the folder_path it says.
 */
export async function readScenarioFiles(paths: string[], refs: References): Promise<{ found: FileScenario[]; problems: string[]; roots: string[] }> {
  const found: FileScenario[] = [];
  const problems: string[] = [];
  const roots: string[] = [];
  const files: Array<{ file: string; root: string | null }> = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => null);
    if (!stat) throw new CliExit(EXIT.usage, `No such file or directory: ${p}`);
    if (stat.isDirectory()) {
      roots.push(p);
      for (const file of await walkScenarioFiles(p)) files.push({ file, root: p });
    } else files.push({ file: p, root: null });
  }
  if (!files.length) throw new CliExit(EXIT.usage, `No .yaml, .yml or .json files in ${paths.join(', ')}.`);
  for (const { file, root } of files) {
    let records: Record<string, unknown>[];
    try {
      records = parseScenarioFile(await fs.readFile(file, 'utf8'), file);
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    records.forEach((record, index) => {
      const errors: string[] = [];
      const identity = takeIdentity(record, errors);
      // A file in a sub-directory is in that folder; one at the root may still name its folder (files
      // exported before folders were directories, or a folder whose name cannot be a directory).
      const fromDirectory = root === null ? null : folderFromDirectory(root, file);
      if (fromDirectory !== null) {
        if ('folder_path' in record && (record.folder_path ?? null) !== fromDirectory) {
          errors.push(
            `folder_path: says "${record.folder_path}" but the file is in ${path.dirname(file)}; the directory is the folder, so remove the line or move the file`,
          );
        }
        record.folder_path = fromDirectory;
      } else if (root !== null && !('folder_path' in record)) record.folder_path = null;
      const { scenario, errors: invalid } = toDesired(record, refs);
      errors.push(...invalid);
      if (scenario && !errors.length) found.push({ file, index, root, ...identity, scenario });
      else problems.push(...errors.map((m) => `${file}: ${m}`));
    });
  }
  return { found, problems, roots };
}

export interface PlanItem {
  file: string;
  id: number | null;
  name: string;
  fields?: ScenarioField[];
  /** Why the file was matched as it was, when not by its own id. */
  note?: string;
  /** The stored scenario it updates, if any. */
  current?: Scenario;
  source: FileScenario;
}

export interface Plan {
  create: PlanItem[];
  update: PlanItem[];
  unchanged: PlanItem[];
  /** Scenarios of the project that no file describes (deleted files, or made elsewhere since). */
  missing: Scenario[];
  /** Files whose identity (id, server) must be written so the next run follows them. */
  stamp: PlanItem[];
  problems: string[];
}

/**
 * Matches files to stored scenarios: by the id a file carries when it names this server, else by
 * name (a file made by hand, or one from another server), else it is a new scenario.
 */
export function planImport(found: FileScenario[], stored: Scenario[], server: string): Plan {
  const byId = new Map(stored.map((s) => [s.id, s]));
  const byName = new Map<string, Scenario[]>();
  for (const s of stored) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const plan: Plan = { create: [], update: [], unchanged: [], missing: [], stamp: [], problems: [] };
  const claimed = new Map<number, FileScenario[]>();
  const ours = (f: FileScenario) => f.id !== null && f.server !== null && serverIdentity(f.server) === server;

  // Files that carry this server's ids claim their scenarios first, so a file made by hand with the
  // same name as a tracked one is a duplicate rather than a second match.
  const matched = new Map<FileScenario, { current?: Scenario; note?: string }>();
  for (const f of found.filter(ours)) {
    const current = byId.get(f.id!);
    matched.set(f, current ? { current } : { note: `#${f.id} is not on the server any more; created again` });
    if (current) claimed.set(current.id, [...(claimed.get(current.id) ?? []), f]);
  }
  for (const f of found.filter((x) => !ours(x))) {
    const name = f.scenario.name as string;
    const same = (byName.get(name) ?? []).filter((s) => !claimed.has(s.id) || claimed.get(s.id)!.every((c) => !ours(c)));
    if (same.length > 1) {
      plan.problems.push(
        `${f.file}: the project has ${same.length} scenarios named "${name}" (${same.map((s) => `#${s.id}`).join(', ')}); add \`id:\` to the file to say which`,
      );
      continue;
    }
    const current = same[0];
    const where = current ? 'matched by name' : 'new on this server';
    const note = f.id !== null ? `its id #${f.id} is from ${f.server ?? 'an unnamed server'}; ${where}` : current ? where : undefined;
    matched.set(f, { current, note });
    if (current) claimed.set(current.id, [...(claimed.get(current.id) ?? []), f]);
  }
  for (const [id, files] of claimed) {
    if (files.length > 1) plan.problems.push(`scenario #${id} is described by ${files.length} files: ${files.map((f) => f.file).join(', ')}; keep one`);
  }
  const newNames = new Map<string, string[]>();
  for (const [f, m] of matched) if (!m.current) newNames.set(f.scenario.name as string, [...(newNames.get(f.scenario.name as string) ?? []), f.file]);
  for (const [name, files] of newNames) if (files.length > 1) plan.problems.push(`"${name}" is defined more than once: ${files.join(', ')}`);

  for (const [f, { current, note }] of matched) {
    const item: PlanItem = { file: f.file, id: current?.id ?? null, name: f.scenario.name as string, note, current, source: f };
    if (!current) plan.create.push(item);
    else {
      const fields = changedFields(current, f.scenario);
      if (fields.length) plan.update.push({ ...item, fields });
      else plan.unchanged.push(item);
      if (!ours(f) || f.id !== current.id) plan.stamp.push(item);
    }
  }
  const described = new Set([...claimed.keys()]);
  plan.missing = stored.filter((s) => !described.has(s.id)).sort((a, b) => a.id - b.id);
  return plan;
}

/**
 * Writes a scenario's identity into its file (first in each document), keeping the rest of the
 * text, comments included, as it was.
 */
export async function stampIdentity(file: string, stamps: Map<number, Identity>): Promise<void> {
  const text = await fs.readFile(file, 'utf8');
  if (/\.json$/i.test(file)) {
    const parsed: unknown = JSON.parse(text);
    const list = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    const out = list.map((r, i) => {
      const s = stamps.get(i);
      if (!s) return r;
      const { id: _id, server: _server, ...rest } = r;
      return { id: s.id, server: s.server, ...rest };
    });
    await fs.writeFile(file, `${JSON.stringify(Array.isArray(parsed) ? out : out[0], null, 2)}\n`);
    return;
  }
  const docs = YAML.parseAllDocuments(text);
  if (docs.some((d) => d.errors.length)) return;
  let index = 0;
  const parts = docs.map((doc) => {
    if (doc.contents === null || doc.toJS() === null) return doc.toString();
    const s = stamps.get(index++);
    if (s && YAML.isMap(doc.contents)) {
      doc.delete('id');
      doc.delete('server');
      (doc.contents.items as unknown[]).unshift(doc.createPair('id', s.id), doc.createPair('server', s.server));
    }
    return doc.toString({ lineWidth: 0 });
  });
  await fs.writeFile(file, parts.join(''));
}
