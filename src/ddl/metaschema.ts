import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

const SCHEMA_FILE = join('schemas', 'ddl.schema.json');

/** Walks up from this file so the schema is found from src/ and from dist/src/ alike. */
function findSchemaFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot locate ${SCHEMA_FILE} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The file the build writes beside the compiled metaschema.js: the validator as ajv's standalone code. */
export const COMPILED_METASCHEMA_FILE = 'metaschema.compiled.cjs';

const require = createRequire(import.meta.url);

function newAjv(source: boolean): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  return new AjvClass({ allErrors: false, strict: true, ...(source ? { code: { source: true } } : {}) });
}

function readSchema(): object {
  return JSON.parse(readFileSync(findSchemaFile(), 'utf8')) as object;
}

let compiled: ValidateFunction | undefined;

/** The `troupe:ddl` meta-schema's validator: the build's (compiling it costs a CLI start-up), or compiled on first use. */
export function metaSchemaValidator(): ValidateFunction {
  if (!compiled) {
    try {
      compiled = require(`./${COMPILED_METASCHEMA_FILE}`) as ValidateFunction;
    } catch {
      compiled = newAjv(false).compile(readSchema());
    }
  }
  return compiled;
}

/** The CommonJS module the build writes to COMPILED_METASCHEMA_FILE. */
export function compiledMetaSchemaSource(): string {
  const ajv = newAjv(true);
  const { default: standaloneCode } = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js');
  return standaloneCode(ajv, ajv.compile(readSchema()));
}

/** One readable line for the first schema error: where, then what. */
export function describeMetaSchemaError(error: ErrorObject): string {
  const at = error.instancePath || '/';
  const params = error.params as Record<string, unknown>;
  // Errors raised inside `propertyNames` carry the offending key beside the usual fields.
  if (error.propertyName !== undefined) return `${at}: invalid name '${error.propertyName}' (${error.message ?? 'invalid'})`;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${at}: unknown key '${String(params['additionalProperty'])}'`;
    case 'required':
      return `${at}: missing required key '${String(params['missingProperty'])}'`;
    case 'enum':
      return `${at}: must be one of ${(params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    default:
      return `${at}: ${error.message ?? 'is invalid'}`;
  }
}
