#!/usr/bin/env node
// Copies the JSON that sits beside the code (agent DDLs) into dist/, where the compiled code looks for it.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.json')) cpSync(path, join(root, 'dist', relative(root, path)));
  }
}
walk(join(root, 'src'));
