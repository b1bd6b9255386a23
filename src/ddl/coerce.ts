import { parseBoolean } from '../config/values.js';
import { DDLError, requireAction } from './errors.js';
import type { AgentDDL, InputDDL } from './types.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function invalid(key: string, raw: string, why: string): DDLError {
  return new DDLError('ARGUMENT_INVALID', `Argument '${key}' ${why}, got '${raw}'`);
}

function parseJSON(key: string, raw: string, want: 'hash' | 'array'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid(key, raw, want === 'hash' ? 'should be a JSON object' : 'should be a JSON array');
  }
  const isArray = Array.isArray(value);
  if (want === 'array' && !isArray) throw invalid(key, raw, 'should be a JSON array');
  if (want === 'hash' && (isArray || typeof value !== 'object' || value === null)) {
    throw invalid(key, raw, 'should be a JSON object');
  }
  return value;
}

/** One command-line string turned into the declared input type. */
function coerceValue(key: string, raw: string, input: InputDDL): unknown {
  switch (input.type) {
    case 'boolean': {
      const value = parseBoolean(raw.trim());
      if (value !== undefined) return value;
      throw invalid(key, raw, 'should be a boolean (true/false, yes/no, y/n, 1/0)');
    }
    case 'integer': {
      const n = Number(raw.trim());
      if (!INTEGER.test(raw.trim()) || !Number.isSafeInteger(n)) throw invalid(key, raw, 'should be an integer');
      return n;
    }
    case 'number': {
      const n = Number(raw.trim());
      if (!DECIMAL.test(raw.trim()) || !Number.isFinite(n)) throw invalid(key, raw, 'should be a number');
      return n;
    }
    case 'hash':
      return parseJSON(key, raw, 'hash');
    case 'array':
      return parseJSON(key, raw, 'array');
    case 'list':
      // A list may hold numbers or booleans; hand back the declared value the text spells.
      return input.list?.find((item) => String(item) === raw) ?? raw;
    case 'string':
      return raw;
  }
}

/**
 * Turns CLI `key=value` strings into typed request data for `action` (split on the first `=`,
 * the last of repeated keys wins). Values are only converted here; `validateInputs` judges them.
 * Undeclared keys are kept as strings when the action takes additional inputs.
 * Throws DDLError: UNKNOWN_ACTION, or ARGUMENT_INVALID naming the key.
 */
export function coerceArguments(ddl: AgentDDL, action: string, pairs: string[]): Record<string, unknown> {
  const spec = requireAction(ddl, action);
  const data: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new DDLError('ARGUMENT_INVALID', `Argument '${pair}' should be in the form key=value`);
    }
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const input = Object.hasOwn(spec.input, key) ? spec.input[key] : undefined;
    if (input) {
      data[key] = coerceValue(key, raw, input);
    } else if (spec.additional_inputs) {
      data[key] = raw;
    } else {
      const known = Object.keys(spec.input);
      const hint = known.length > 0 ? `; it takes ${known.join(', ')}` : '; it takes no inputs';
      throw new DDLError('ARGUMENT_INVALID', `Argument '${key}' is not an input of ${ddl.metadata.name}#${action}${hint}`);
    }
  }
  return data;
}
