#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader in this same process, so a clone works without a
// build step and signals (SIGTERM from systemd, Ctrl-C) reach the CLI itself.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
