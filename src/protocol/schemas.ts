// The validators of every schema in schemas/. The build compiles them ahead of time into schemas.compiled.cjs
// beside this file (ajv's standalone code): compiling a dozen schemas costs a CLI start-up 100 ms and more.
// Run from src/ (tests) or before a build there is no such file, and ajv compiles them here on first use.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv, ErrorObject, Options, ValidateFunction } from 'ajv';
import { packageRoot } from './package-root.js';

export { packageRoot };

export const SCHEMA_DIR = join(packageRoot(), 'schemas');

/** The file the build writes beside the compiled schemas.js. */
export const COMPILED_SCHEMAS_FILE = 'schemas.compiled.cjs';

const AJV_OPTIONS: Options = { allErrors: false, strict: true, allowUnionTypes: true };

const require = createRequire(import.meta.url);

let shared: Ajv | undefined;

function schemaFiles(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort();
}

function newRegistry(extra: Options = {}): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const ajv = new AjvClass({ ...AJV_OPTIONS, ...extra });
  for (const file of schemaFiles()) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object);
  return ajv;
}

/** One ajv instance holding every schema in schemas/, so `$ref: "troupe:filter"` resolves. */
export function schemaRegistry(): Ajv {
  shared ??= newRegistry();
  return shared;
}

/** Schema id → export name in the compiled module. */
const exportName = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

let compiled: Record<string, ValidateFunction> | null | undefined;

/** The validator the build compiled for `id`, if there is a compiled module (dist/) and it holds `id`. */
export function precompiledValidator<T>(id: string): ValidateFunction<T> | undefined {
  if (compiled === undefined) {
    try {
      compiled = require(`./${COMPILED_SCHEMAS_FILE}`) as Record<string, ValidateFunction>;
    } catch {
      compiled = null;
    }
  }
  return compiled?.[exportName(id)] as ValidateFunction<T> | undefined;
}

export function validatorFor<T>(id: string): ValidateFunction<T> {
  const pre = precompiledValidator<T>(id);
  if (pre) return pre;
  const fn = schemaRegistry().getSchema<T>(id);
  if (!fn) throw new Error(`schema ${id} is not in ${SCHEMA_DIR}`);
  return fn;
}

/** The CommonJS module of every schema's validator, ajv's standalone code; the build writes it to COMPILED_SCHEMAS_FILE. */
export function compiledSchemasSource(): string {
  const ajv = newRegistry({ code: { source: true } });
  const ids = schemaFiles().map((file) => (JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as { $id: string }).$id);
  const { default: standaloneCode } = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js');
  return standaloneCode(ajv, Object.fromEntries(ids.map((id) => [exportName(id), id])));
}

export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'invalid';
  const e = errors[0]!;
  return `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;
}
