import { readFileSync } from 'node:fs';
import { DDLError } from './errors.js';
import { checkInputDefault } from './inputs.js';
import { describeMetaSchemaError, metaSchemaValidator } from './metaschema.js';
import type { ActionDDL, AgentDDL, AggregateDDL, InputDDL, OutputDDL } from './types.js';
import { namedValidator } from './validators.js';

/** The file format before normalisation: what the meta-schema has accepted. */
interface RawAction {
  description: string;
  display?: ActionDDL['display'];
  input?: Record<string, Omit<InputDDL, 'optional'> & { optional?: boolean }>;
  output?: Record<string, Omit<OutputDDL, 'display_as'> & { display_as?: string }>;
  aggregate?: Array<{ function: AggregateDDL['function']; args: unknown[]; format?: string }>;
  additional_inputs?: boolean;
}
interface RawDDL {
  metadata: AgentDDL['metadata'];
  actions: Record<string, RawAction>;
}

/**
 * Checks `json` against the `troupe:ddl` meta-schema and the rules it cannot express
 * (regexes compile, defaults fit their input, aggregates name declared outputs), and returns
 * a normalised, frozen DDL. Errors are DDLError(DDL_INVALID) naming `origin` and the JSON path.
 */
export function parseDDL(json: unknown, origin?: string): AgentDDL {
  const validate = metaSchemaValidator();
  if (!validate(json)) {
    const name = originName(json, origin);
    throw new DDLError('DDL_INVALID', `Invalid DDL ${name}: ${describeMetaSchemaError(validate.errors![0]!)}`);
  }
  // A private copy: the result is frozen and must not share objects with the caller's JSON.
  const raw = structuredClone(json) as RawDDL;
  const fail = (path: string, why: string): never => {
    throw new DDLError('DDL_INVALID', `Invalid DDL ${originName(json, origin)}: ${path}: ${why}`);
  };

  const actions: Record<string, ActionDDL> = {};
  for (const [name, action] of Object.entries(raw.actions)) {
    actions[name] = normaliseAction(action, `/actions/${name}`, fail);
  }
  const ddl: AgentDDL = { metadata: { ...raw.metadata }, actions };

  for (const [name, action] of Object.entries(actions)) {
    for (const [input, spec] of Object.entries(action.input)) {
      if (spec.default === undefined) continue;
      const why = checkInputDefault(ddl, name, input);
      if (why) fail(`/actions/${name}/input/${input}/default`, why);
    }
  }
  return deepFreeze(ddl);
}

/** The JSON of a DDL file; DDL_NOT_FOUND when it is missing, DDL_INVALID when unreadable or not JSON. */
export function readDDLJson(path: string, what = 'DDL'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DDLError('DDL_NOT_FOUND', `No DDL file at ${path}`);
    throw new DDLError('DDL_INVALID', `Cannot read DDL ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DDLError('DDL_INVALID', `Invalid ${what} ${path}: not JSON: ${(err as Error).message}`);
  }
}

/** Reads and parses a JSON agent DDL file. */
export function loadDDLFile(path: string): AgentDDL {
  return parseDDL(readDDLJson(path), path);
}

type Fail = (path: string, why: string) => never;

function normaliseAction(raw: RawAction, path: string, fail: Fail): ActionDDL {
  const input: Record<string, InputDDL> = {};
  for (const [name, spec] of Object.entries(raw.input ?? {})) {
    input[name] = normaliseInput(spec, `${path}/input/${name}`, fail);
  }
  const output: Record<string, OutputDDL> = {};
  for (const [name, spec] of Object.entries(raw.output ?? {})) {
    output[name] = { ...spec, display_as: spec.display_as ?? name };
  }
  const aggregate = (raw.aggregate ?? []).map((spec, i) => normaliseAggregate(spec, output, `${path}/aggregate/${i}`, fail));
  return {
    description: raw.description,
    display: raw.display ?? 'failed',
    input,
    output,
    aggregate,
    additional_inputs: raw.additional_inputs ?? false,
  };
}

function normaliseInput(raw: NonNullable<RawAction['input']>[string], path: string, fail: Fail): InputDDL {
  const spec: InputDDL = { ...raw, optional: raw.optional ?? false };
  // Choria DDLs spell "no default" as `"default": null`.
  if (spec.default === null) delete spec.default;
  if (spec.list !== undefined && spec.type !== 'list') fail(`${path}/list`, `only a 'list' input takes a list`);
  if (spec.validation !== undefined && !namedValidator(spec.validation)) {
    try {
      new RegExp(spec.validation);
    } catch (err) {
      fail(`${path}/validation`, `not a valid regular expression: ${(err as Error).message}`);
    }
  }
  return spec;
}

function normaliseAggregate(
  raw: NonNullable<RawAction['aggregate']>[number],
  outputs: Record<string, OutputDDL>,
  path: string,
  fail: Fail,
): AggregateDDL {
  const [field, options] = raw.args;
  if (typeof field !== 'string') return fail(`${path}/args/0`, 'must name an output');
  if (!Object.hasOwn(outputs, field)) fail(`${path}/args/0`, `'${field}' is not a declared output`);
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    fail(`${path}/args/1`, 'must be an object of options');
  }
  const opts = options as Record<string, string> | undefined;
  const args: AggregateDDL['args'] = opts === undefined ? [field] : [field, opts];
  // Choria DDLs carry the format inside the options object.
  const format = raw.format ?? opts?.['format'];
  return format === undefined ? { function: raw.function, args } : { function: raw.function, args, format };
}

function originName(json: unknown, origin: string | undefined): string {
  if (origin) return origin;
  const name = (json as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' ? `'${name}'` : '(unnamed)';
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
