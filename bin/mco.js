#!/usr/bin/env node
// The `mco` command. Before a build there is no dist/: say what to run, in one line, rather than ERR_MODULE_NOT_FOUND.
import { existsSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`mco: troupe is not built: run 'npm run build' in ${fileURLToPath(new URL('..', import.meta.url))}\n`);
  process.exit(1);
}
await import(main.href);
