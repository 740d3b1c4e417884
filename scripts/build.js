// Compiles src/ to dist/ (one .js per .ts, same layout), so the CLI and the server start from
// plain JavaScript. esbuild only strips types, which takes a fraction of a second; `npm run
// typecheck` is what checks them. Run by `npm run build` (and so by `npm install` and `npm pack`),
// and by bin/scenarist.js in a clone whose sources changed since the last build.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SRC = path.join(root, 'src');
export const DIST = path.join(root, 'dist');
/** Written last, so a build that stopped half way is never taken for a finished one. */
export const STAMP = path.join(DIST, '.built');

function sources(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(file, out);
    else out.push(file);
  }
  return out;
}

/** Whether dist/ is missing or older than any file under src/ (always false where src/ is not shipped). */
export function isStale() {
  if (!fs.existsSync(SRC)) return false;
  const built = fs.statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return sources(SRC).some((f) => fs.statSync(f).mtimeMs > built);
}

export async function buildDist() {
  const { build } = await import('esbuild');
  // The review page's own modules run in the browser, bundled into dist-web/ by build:web; only its
  // builder runs in Node.
  const web = path.join(SRC, 'web') + path.sep;
  const entryPoints = sources(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && (!f.startsWith(web) || f.endsWith(`${path.sep}build.ts`)));
  const tmp = `${DIST}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await build({ entryPoints, outdir: tmp, outbase: SRC, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  fs.writeFileSync(path.join(tmp, '.built'), `${new Date().toISOString()}\n`);
  // Swapped in whole, so a CLI started meanwhile sees the old build or the new one, never a mix.
  const old = `${DIST}.old-${process.pid}`;
  try {
    if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
    fs.renameSync(tmp, DIST);
  } catch {
    // Another process built it at the same moment; its build is as good as ours.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return entryPoints.length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = await buildDist();
  process.stdout.write(`Compiled ${n} modules into dist/\n`);
}
