import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the page's sources live, and where `npm install` (prepare) writes the built page. Both are
 * found from the project root, which is two levels up whether this runs from src/ or dist/; an
 * installed package has dist-web/ and no sources.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_SOURCES = path.join(ROOT, 'src/web');
export const WEB_OUT = path.join(ROOT, 'dist-web');

/** Bundles the review page: index.html, app.js (the page and the API client) and app.css. */
export async function buildWebAssets(): Promise<Map<string, Uint8Array>> {
  // Imported here so the server only needs esbuild when it has to build the page itself.
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [
      { in: path.join(WEB_SOURCES, 'main.ts'), out: 'app' },
      { in: path.join(WEB_SOURCES, 'styles.css'), out: 'app' },
    ],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    outdir: 'assets',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const files = new Map<string, Uint8Array>(out.outputFiles.map((f) => [path.basename(f.path), f.contents]));
  files.set('index.html', fs.readFileSync(path.join(WEB_SOURCES, 'index.html')));
  return files;
}

/** Writes the built page to `dir`, replacing what was there. */
export async function writeWebAssets(dir = WEB_OUT): Promise<string[]> {
  const files = await buildWebAssets();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  for (const [name, bytes] of files) fs.writeFileSync(path.join(tmp, name), bytes);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return [...files.keys()];
}
