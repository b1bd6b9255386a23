#!/usr/bin/env node
// Builds the web console's single-page app (src/web/app) with Vite into dist/web/app, which `mco web` serves.
// JSX goes through Vite's own transform with Preact's runtime; everything the page loads is in that folder.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'src', 'web', 'app');

await build({
  configFile: false,
  root: app,
  base: '/',
  logLevel: process.env.TROUPE_SETUP_QUIET === '1' ? 'error' : 'warn',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: join(root, 'dist', 'web', 'app'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
});
