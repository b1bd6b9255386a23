import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

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

let compiled: ValidateFunction | undefined;

/** The compiled `troupe:ddl` meta-schema, built on first use. */
export function metaSchemaValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(findSchemaFile(), 'utf8')) as object;
    compiled = new Ajv({ allErrors: false, strict: true }).compile(schema);
  }
  return compiled;
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
