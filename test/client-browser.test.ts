import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the client in a browser', () => {
  it('bundles for the browser with nothing from Node or the server in it', async () => {
    const out = await build({
      entryPoints: ['src/client/index.ts'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(
      inputs.every((f) => f.startsWith('src/client/') || f === 'src/domain/jobs.ts'),
      inputs.join(', '),
    ).toBe(true);
    expect(out.outputFiles[0]!.text).not.toMatch(/from ["']node:|require\(/);
  });
});
