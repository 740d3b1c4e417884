// `npm run build:web`: writes the review page into dist-web/. A script of its own, so bundling the
// builder into another program (the CLI, in tests) never runs it.
import path from 'node:path';
import { WEB_OUT, writeWebAssets } from './build.js';

const names = await writeWebAssets();
process.stdout.write(`Built the review page into ${path.relative(process.cwd(), WEB_OUT) || WEB_OUT}: ${names.join(', ')}\n`);
