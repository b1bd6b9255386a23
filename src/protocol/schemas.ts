import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** The folder holding package.json, found from this file whether it runs from src/ or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schemas'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the troupe package root');
    dir = parent;
  }
  return dir;
}

export const SCHEMA_DIR = join(packageRoot(), 'schemas');

let shared: Ajv | undefined;

/** One ajv instance holding every schema in schemas/, so `$ref: "troupe:filter"` resolves. */
export function schemaRegistry(): Ajv {
  if (shared) return shared;
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  for (const file of readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()) {
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object);
  }
  shared = ajv;
  return ajv;
}

export function validatorFor<T>(id: string): ValidateFunction<T> {
  const fn = schemaRegistry().getSchema<T>(id);
  if (!fn) throw new Error(`schema ${id} is not in ${SCHEMA_DIR}`);
  return fn;
}

export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'invalid';
  const e = errors[0]!;
  return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;
}
