#!/usr/bin/env node
// After tsc: copies the JSON that sits beside the code (agent DDLs) into dist/, where the compiled code looks for
// it, and writes the schemas' validators compiled ahead of time (ajv's standalone code), so that no command pays
// for compiling them when it starts.
import { cpSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

const schemas = await import(join(root, 'dist', 'src', 'protocol', 'schemas.js'));
writeFileSync(join(root, 'dist', 'src', 'protocol', schemas.COMPILED_SCHEMAS_FILE), schemas.compiledSchemasSource());
const meta = await import(join(root, 'dist', 'src', 'ddl', 'metaschema.js'));
writeFileSync(join(root, 'dist', 'src', 'ddl', meta.COMPILED_METASCHEMA_FILE), meta.compiledMetaSchemaSource());
