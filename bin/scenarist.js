#!/usr/bin/env node
// Runs the compiled CLI (dist/) in this same process, so signals (SIGTERM from systemd, Ctrl-C)
// reach the CLI itself. In a clone whose sources changed since the last build, it compiles them
// first (a fraction of a second); an installed package ships dist/ and no sources.
import { buildDist, isStale } from '../scripts/build.js';

if (isStale()) await buildDist();
await import('../dist/cli/main.js');
