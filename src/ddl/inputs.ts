import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import { requireAction, unknownActionMessage } from './errors.js';
import type { ActionDDL, AgentDDL, InputDDL, InputType } from './types.js';
import { namedValidator } from './validators.js';

export type InputCheck = { ok: true; data: Record<string, unknown> } | { ok: false; statuscode: 2 | 3 | 4; message: string };

/** What one action needs at request time, prepared once per DDL object. */
interface CompiledAction {
  action: string;
  inputs: Readonly<Record<string, InputDDL>>;
  validate: ValidateFunction;
  /** Non-optional inputs without a default, in declaration order. */
  required: string[];
  defaults: Array<[name: string, value: unknown]>;
}

const NAMED_VALIDATOR_KEYWORD = 'namedValidator';

// Regexes come from DDLs written for MCollective's Ruby engine, so they are compiled without
// the `u` flag: identity escapes such as `\:` are legal there and would be syntax errors with it.
// Made on the first action checked: loading ajv is a cost a command that checks no inputs should not pay.
let shared: Ajv | undefined;
function inputsAjv(): Ajv {
  if (shared) return shared;
  const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  shared = new AjvClass({ allErrors: false, strict: true, unicodeRegExp: false });
  shared.addKeyword({
    keyword: NAMED_VALIDATOR_KEYWORD,
    schemaType: 'string',
    errors: false,
    validate: (name: string, value: unknown) => namedValidator(name)?.(value) === undefined,
  });
  return shared;
}

const compiledByDDL = new WeakMap<AgentDDL, Map<string, CompiledAction>>();

function compiledAction(ddl: AgentDDL, action: string): CompiledAction | undefined {
  let perAction = compiledByDDL.get(ddl);
  if (!perAction) {
    perAction = new Map();
    compiledByDDL.set(ddl, perAction);
  }
  let compiled = perAction.get(action);
  if (!compiled) {
    const spec = Object.hasOwn(ddl.actions, action) ? ddl.actions[action] : undefined;
    if (!spec) return undefined;
    compiled = compileAction(action, spec);
    perAction.set(action, compiled);
  }
  return compiled;
}

function compileAction(action: string, spec: ActionDDL): CompiledAction {
  const properties: Record<string, SchemaObject> = {};
  const required: string[] = [];
  const defaults: Array<[string, unknown]> = [];
  for (const [name, input] of Object.entries(spec.input)) {
    properties[name] = inputSchema(input);
    if (input.default !== undefined) defaults.push([name, input.default]);
    else if (!input.optional) required.push(name);
  }
  const schema: SchemaObject = { type: 'object', properties };
  if (!spec.additional_inputs) schema['additionalProperties'] = false;
  const ajv = inputsAjv();
  const validate = ajv.compile(schema);
  // The compiled function is kept here; ajv's own cache would otherwise hold every schema forever.
  ajv.removeSchema(schema);
  return { action, inputs: spec.input, validate, required, defaults };
}

function inputSchema(input: InputDDL): SchemaObject {
  const schema: SchemaObject = {};
  switch (input.type) {
    case 'string':
      schema['type'] = 'string';
      if (input.maxlength) schema['maxLength'] = input.maxlength;
      break;
    case 'list':
      schema['enum'] = [...(input.list ?? [])];
      break;
    case 'hash':
      schema['type'] = 'object';
      break;
    default:
      schema['type'] = input.type;
  }
  if (input.validation !== undefined) {
    if (namedValidator(input.validation)) schema[NAMED_VALIDATOR_KEYWORD] = input.validation;
    // As in MCollective, a regex only constrains string inputs.
    else if (input.type === 'string') schema['pattern'] = input.validation;
  }
  return schema;
}

const TYPE_PHRASE: Record<InputType, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  list: 'a list value',
  hash: 'a hash (JSON object)',
  array: 'an array',
};

function describeInputError(compiled: CompiledAction, error: ErrorObject, data: Record<string, unknown>): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    return `Input '${String(params['additionalProperty'])}' is not declared for action '${compiled.action}'`;
  }
  const name = decodePointerSegment(error.instancePath.slice(1));
  const input = compiled.inputs[name];
  if (!input) return `Input '${name}' ${error.message ?? 'is invalid'}`;
  switch (error.keyword) {
    case 'type':
      return `Input '${name}' should be ${TYPE_PHRASE[input.type]}`;
    case 'pattern':
      return `Input '${name}' does not match ${input.validation}`;
    case 'maxLength':
      return `Input '${name}' is longer than ${input.maxlength} characters`;
    case 'enum':
      return `Input '${name}' should be one of ${(input.list ?? []).map(String).join(', ')}`;
    case NAMED_VALIDATOR_KEYWORD:
      return `Input '${name}' ${namedValidator(input.validation!)?.(data[name]) ?? 'is invalid'}`;
    default:
      return `Input '${name}' ${error.message ?? 'is invalid'}`;
  }
}

function decodePointerSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function cloneDefault(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}

/**
 * Checks request data against the action's inputs, MCollective status codes on failure:
 * 2 unknown action, 3 a required input is missing, 4 an input is invalid or undeclared.
 * On success `data` is a copy with declared defaults filled in. Absent means `undefined`:
 * an explicit `null` is a value and must fit the input's type.
 */
export function validateInputs(ddl: AgentDDL, action: string, data: unknown): InputCheck {
  const compiled = compiledAction(ddl, action);
  if (!compiled) return { ok: false, statuscode: 2, message: unknownActionMessage(ddl, action) };
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) {
    return { ok: false, statuscode: 4, message: 'Request data should be a JSON object' };
  }
  const filled: Record<string, unknown> = { ...(data as Record<string, unknown> | null | undefined) };
  for (const [name, value] of compiled.defaults) {
    if (filled[name] === undefined) filled[name] = cloneDefault(value);
  }
  for (const name of compiled.required) {
    if (filled[name] === undefined) return { ok: false, statuscode: 3, message: `Missing required input '${name}'` };
  }
  if (!compiled.validate(filled)) {
    return { ok: false, statuscode: 4, message: describeInputError(compiled, compiled.validate.errors![0]!, filled) };
  }
  return { ok: true, data: filled };
}

/** Required inputs (no default) absent from `data`, in declaration order; throws UNKNOWN_ACTION. */
export function missingRequiredInputs(ddl: AgentDDL, action: string, data: Record<string, unknown>): string[] {
  requireAction(ddl, action);
  return compiledAction(ddl, action)!.required.filter((name) => data[name] === undefined);
}

/** Why the declared default of an input would fail its own validation, or undefined when it fits. */
export function checkInputDefault(ddl: AgentDDL, action: string, input: string): string | undefined {
  const compiled = compiledAction(ddl, action);
  const value = compiled?.inputs[input]?.default;
  if (!compiled || value === undefined) return undefined;
  const data = { [input]: value };
  return compiled.validate(data) ? undefined : describeInputError(compiled, compiled.validate.errors![0]!, data);
}
