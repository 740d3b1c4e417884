import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildWebAssets, WEB_OUT, WEB_SOURCES } from '../web/build.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// The page talks to this server alone: no inline code, no outside fonts, scripts or connections.
const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export type WebAssets = { files: Map<string, Uint8Array> } | { missing: string };

function newestSource(): number {
  if (!fs.existsSync(WEB_SOURCES)) return 0;
  return Math.max(...fs.readdirSync(WEB_SOURCES).map((f) => fs.statSync(path.join(WEB_SOURCES, f)).mtimeMs));
}

/**
 * The review page as `npm install` built it into dist-web/; built in memory instead when that is
 * missing or older than its sources (a fresh checkout, or the page edited since).
 */
export async function loadWebAssets(): Promise<WebAssets> {
  const index = path.join(WEB_OUT, 'index.html');
  const built = fs.existsSync(index);
  const read = () => ({ files: new Map(fs.readdirSync(WEB_OUT).map((f) => [f, fs.readFileSync(path.join(WEB_OUT, f))])) });
  if (built && fs.statSync(index).mtimeMs >= newestSource()) return read();
  try {
    return { files: await buildWebAssets() };
  } catch (e) {
    // Sources that cannot be bundled here (no esbuild, compiled output): an older build beats none.
    return built ? read() : { missing: e instanceof Error ? e.message : String(e) };
  }
}

/** Serves the review page at `/` and its files under `/assets/`. */
export function registerWebPage(app: FastifyInstance, assets: WebAssets): void {
  const send = (name: string) => {
    if (!('files' in assets)) return undefined;
    const body = assets.files.get(name);
    return body && { body: Buffer.from(body), type: TYPES[path.extname(name)] ?? 'application/octet-stream' };
  };
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    const page = send('index.html');
    if (!page) {
      const why = 'missing' in assets ? assets.missing : 'index.html was not built';
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`The review page is not built (${why}). Run \`npm run build:web\` and restart; the API itself works.\n`);
    }
    return reply.header('content-security-policy', CSP).header('cache-control', 'no-cache').type(page.type).send(page.body);
  });
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const file = send(req.params.file);
    if (!file || req.params.file === 'index.html') return reply.code(404).send({ detail: 'Not found.' });
    return reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').type(file.type).send(file.body);
  });
}
