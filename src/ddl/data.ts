/**
 * Data plugin DDLs (`<name>/<name>.ddl.json` under src/plugins/data/): what `puppet()`, `fact('…')` and the like
 * answer in -S filters. Checked against `schemas/data-ddl.schema.json`; they drive the client's check of a filter
 * (unknown plugin, field or bad argument), the node's check of what it receives, and `mco plugin doc data/NAME`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { DDLError } from './errors.js';
import { describeMetaSchemaError } from './metaschema.js';
import type { DDLMetadata, InputDDL, OutputDDL } from './types.js';
import { readDDLJson } from './load.js';
import { namedValidator } from './validators.js';

export interface DataQueryDDL {
  description: string;
  /** The one input a call takes (at most one entry), normalised as an agent input is. */
  input: Readonly<Record<string, InputDDL>>;
  output: Readonly<Record<string, OutputDDL>>;
}

export interface DataDDL {
  metadata: DDLMetadata;
  dataquery: DataQueryDDL;
}

/** What a filter check needs of one data plugin (structurally filter/'s DataPluginShape). */
export interface DataShape {
  name: string;
  input?: { optional: boolean; check(argument: string): string | undefined };
  outputs: readonly string[];
}

const SCHEMA_FILE = join('schemas', 'data-ddl.schema.json');
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, SCHEMA_FILE))) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`cannot locate ${SCHEMA_FILE} above ${fileURLToPath(import.meta.url)}`);
      dir = parent;
    }
    // Required on first use: a command that loads no data plugin DDL does not pay for ajv.
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    compiled = new Ajv({ allErrors: false, strict: true }).compile(JSON.parse(readFileSync(join(dir, SCHEMA_FILE), 'utf8')) as object);
  }
  return compiled;
}

type RawInput = Omit<InputDDL, 'optional'> & { optional?: boolean };
interface RawDataDDL {
  metadata: DDLMetadata;
  dataquery: {
    description: string;
    input?: Record<string, RawInput>;
    output: Record<string, Omit<OutputDDL, 'display_as'> & { display_as?: string }>;
  };
}

/** Checks `json` against the `troupe:data-ddl` meta-schema and that validation regexes compile; returns it normalised and frozen. */
export function parseDataDDL(json: unknown, origin?: string): DataDDL {
  const validate = validator();
  const name = origin ?? `'${String((json as { metadata?: { name?: unknown } } | null)?.metadata?.name ?? '(unnamed)')}'`;
  if (!validate(json)) throw new DDLError('DDL_INVALID', `Invalid data DDL ${name}: ${describeMetaSchemaError(validate.errors![0]!)}`);
  const raw = structuredClone(json) as RawDataDDL;
  const input: Record<string, InputDDL> = {};
  for (const [key, spec] of Object.entries(raw.dataquery.input ?? {})) {
    if (spec.validation !== undefined && !namedValidator(spec.validation)) {
      try {
        new RegExp(spec.validation);
      } catch (err) {
        throw new DDLError('DDL_INVALID', `Invalid data DDL ${name}: /dataquery/input/${key}/validation: ${(err as Error).message}`);
      }
    }
    input[key] = { ...spec, optional: spec.optional ?? false };
  }
  const output: Record<string, OutputDDL> = {};
  for (const [key, spec] of Object.entries(raw.dataquery.output)) output[key] = { ...spec, display_as: spec.display_as ?? key };
  return deepFreeze({ metadata: { ...raw.metadata }, dataquery: { description: raw.dataquery.description, input, output } });
}

export function loadDataDDLFile(path: string): DataDDL {
  return parseDataDDL(readDDLJson(path, 'data DDL'), path);
}

/** Why `argument` is refused by the plugin's input, or undefined when it is accepted. */
export function checkDataArgument(spec: InputDDL, argument: string): string | undefined {
  if (spec.maxlength && argument.length > spec.maxlength) return `longer than ${spec.maxlength} characters`;
  if (spec.validation === undefined) return undefined;
  const named = namedValidator(spec.validation);
  if (named) return named(argument);
  return new RegExp(spec.validation).test(argument) ? undefined : `does not match ${spec.validation}`;
}

const shapes = new WeakMap<DataDDL, DataShape>();

/** The plugin as a filter check sees it: its input and output names. */
export function dataShapeOf(ddl: DataDDL): DataShape {
  let shape = shapes.get(ddl);
  if (!shape) {
    const [spec] = Object.values(ddl.dataquery.input);
    shape = { name: ddl.metadata.name, outputs: Object.keys(ddl.dataquery.output) };
    if (spec) shape.input = { optional: spec.optional, check: (argument) => checkDataArgument(spec, argument) };
    shapes.set(ddl, shape);
  }
  return shape;
}

/** Data plugin DDLs on disk: every `<name>/<name>.ddl.json` below the given directories, first found wins. */
export class DataDDLRepository {
  private readonly cache = new Map<string, DataDDL | null>();

  constructor(private readonly dirs: readonly string[]) {}

  find(name: string): DataDDL | undefined {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(name)) return undefined;
    if (!this.cache.has(name)) {
      const file = this.dirs.map((d) => join(d, name, `${name}.ddl.json`)).find((f) => existsSync(f));
      this.cache.set(name, file ? loadDataDDLFile(file) : null);
    }
    return this.cache.get(name) ?? undefined;
  }

  names(): string[] {
    const names = new Set<string>();
    for (const dir of this.dirs) {
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(join(dir, entry.name, `${entry.name}.ddl.json`))) names.add(entry.name);
      }
    }
    return [...names].sort();
  }

  list(): DataDDL[] {
    return this.names()
      .map((n) => this.find(n))
      .filter((d): d is DataDDL => d !== undefined);
  }

  /** The repository as a filter check's catalogue. */
  catalog(): { find(name: string): DataShape | undefined; names(): readonly string[] } {
    return { find: (name) => (this.find(name) ? dataShapeOf(this.find(name)!) : undefined), names: () => this.names() };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
