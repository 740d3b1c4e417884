import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebPage } from '../src/api/web.js';
import { buildWebAssets } from '../src/web/build.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('the review page as the server serves it', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s?.stop());

  it('answers the page at / without a key, with a policy that keeps it to this server', async () => {
    const res = await fetch(`${s.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/app.js"></script>');
    // Nothing from elsewhere: no CDN, no web fonts.
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves the bundled script and styles, and nothing else under /assets/', async () => {
    const js = await fetch(`${s.url}/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await js.text();
    expect(code).toContain('X-CEKURA-API-KEY');
    expect(code).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const css = await fetch(`${s.url}/assets/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).not.toMatch(/@import|url\(\s*["']?https?:/);
    for (const missing of ['/assets/nope.js', '/assets/index.html', '/assets/..%2Fpackage.json']) {
      expect((await fetch(s.url + missing)).status, missing).toBe(404);
    }
  });

  it('still guards the API: the page being public opens nothing else', async () => {
    expect((await s.as(null)('GET', 'projects/')).status).toBe(401);
  });
});

describe('a server whose page could not be built', () => {
  it('says so at / and how to build it, instead of failing to start', async () => {
    const app = Fastify();
    registerWebPage(app, { missing: 'Cannot find package esbuild' });
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:web');
    expect(res.body).toContain('Cannot find package esbuild');
    expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(404);
    await app.close();
  });
});

describe('the page bundle', () => {
  it('builds from source into three small files with nothing from Node in them', async () => {
    const files = await buildWebAssets();
    expect([...files.keys()].sort()).toEqual(['app.css', 'app.js', 'index.html']);
    const js = new TextDecoder().decode(files.get('app.js'));
    expect(js.length).toBeLessThan(100_000);
    expect(js).not.toMatch(/from ["']node:|require\(/);
  });
});
