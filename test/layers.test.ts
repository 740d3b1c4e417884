import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layer rule (dependencies point one way, from the entry points down to domain), read from the imports
 * of every file under src/: each folder may import only the folders listed for it, only store/
 * touches the SQL drivers and Kysely, and no two folders import each other. The composition roots
 * wire everything together and may import anything.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

/** Files that assemble the layers at start-up. */
const COMPOSITION_ROOTS = ['src/server.ts', 'src/worker.ts', 'src/cli/main.ts'];

/**
 * What each layer may import besides itself. A layer is a folder of src/ (or a file directly in it,
 * named without `.ts`). A new folder fails the test until it is given its line here.
 */
const MAY_IMPORT: Record<string, string[]> = {
  domain: [],
  config: [],
  types: [],
  store: ['domain', 'config'],
  agent: ['domain', 'config'],
  jobs: ['domain', 'config', 'store', 'agent'],
  services: ['domain', 'config', 'store', 'jobs', 'agent'],
  // The entry points: api serves the page and mounts /mcp; cli and mcp speak HTTP through the client.
  // api reaches jobs and the engines only through a use-case of services/.
  api: ['domain', 'config', 'store', 'services', 'web', 'mcp'],
  cli: ['domain', 'config', 'client', 'mcp'],
  mcp: ['domain', 'config', 'client'],
  // The client and the page are bundled for the browser: nothing of the server may reach them.
  client: ['domain'],
  web: ['domain', 'client'],
};

/** Packages only store/ may import: the SQL drivers and the query builder. */
const SQL_PACKAGES = ['better-sqlite3', 'pg', 'kysely'];

/**
 * Imports that break the rule today, each being removed by work in progress. The test fails when
 * one of them is gone (so the list only shrinks) and when any import not listed breaks the rule.
 */
const KNOWN_OFFENDERS: string[] = [
  // The pg-boss dispatcher takes the store's pool; its type comes from the driver (type-only import).
  'src/jobs/dispatch/pg-boss.ts -> pg',
  // The client's types are inferred from the route schemas (type-only imports); t14-types moves
  // those schemas to domain/.
  'src/client/types.ts -> api',
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(e.name) ? [full] : [];
  });
}

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

function layerOf(file: string): string {
  const [first] = path.relative(SRC, file).split(path.sep);
  return first!.replace(/\.(tsx?|js)$/, '');
}

/** Every module a file names: static and dynamic imports, re-exports and `import('…')` types. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** Each import that breaks a rule, as `file -> layer` or `file -> package`. */
function breaches(): { found: string[]; edges: Set<string> } {
  const found = new Set<string>();
  const edges = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const from = layerOf(file);
    if (COMPOSITION_ROOTS.includes(rel(file))) continue;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (SQL_PACKAGES.includes(pkg) && from !== 'store') found.add(`${rel(file)} -> ${pkg}`);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(SRC + path.sep)) {
        found.add(`${rel(file)} -> ${spec} (outside src/)`);
        continue;
      }
      const to = layerOf(target);
      if (to === from) continue;
      const breach = `${rel(file)} -> ${to}`;
      // A known offender is reported once, by the first test, not again as an import both ways.
      if (!KNOWN_OFFENDERS.includes(breach)) edges.add(`${from} -> ${to}`);
      if (!(from in MAY_IMPORT)) found.add(`${rel(file)}: layer "${from}" has no line in MAY_IMPORT`);
      else if (!MAY_IMPORT[from]!.includes(to)) found.add(breach);
    }
  }
  return { found: [...found].sort(), edges };
}

describe('the layer rule', () => {
  const { found, edges } = breaches();

  it('holds for every import under src/, apart from the known offenders being removed', () => {
    expect(found.filter((b) => !KNOWN_OFFENDERS.includes(b))).toEqual([]);
  });

  it('lists only offenders that still exist, so the list shrinks as they are fixed', () => {
    expect(KNOWN_OFFENDERS.filter((k) => !found.includes(k))).toEqual([]);
  });

  it('has no two folders importing each other', () => {
    const mutual = [...edges].filter((e) => {
      const [a, b] = e.split(' -> ');
      return a! < b! && edges.has(`${b} -> ${a}`);
    });
    expect(mutual).toEqual([]);
  });

  it('names composition roots that exist, and sees the imports it checks', () => {
    for (const root of COMPOSITION_ROOTS) expect(fs.existsSync(path.join(ROOT, root)), root).toBe(true);
    expect(edges.has('store -> domain') && edges.has('jobs -> store') && edges.has('web -> client')).toBe(true);
    expect(importsOf(path.join(SRC, 'cli/main.ts'))).toContain('../server.js');
  });
});
