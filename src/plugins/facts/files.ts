import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { FactsError } from './errors.js';
import { jsonErrorLine, summariseJsonError } from './json-errors.js';

export type Facts = Record<string, unknown>;

/**
 * Reads fact files and deep-merges them in order: mappings merge key by key, anything else
 * (scalars, lists) is replaced by the later file. Nested structures are kept as written, so
 * `os: {family: Debian}` stays nested and a key literally named `os.family` stays one key.
 */
export function loadFactFiles(paths: readonly string[]): Facts {
  let merged: Facts = {};
  for (const file of paths) merged = deepMerge(merged, loadFactFile(file));
  return merged;
}

/** One fact file: JSON for `.json`, YAML for `.yaml`/`.yml`, otherwise sniffed from the content. */
export function loadFactFile(file: string): Facts {
  const text = readText(file);
  const parsed = isJson(file, text) ? parseJson(file, text) : parseYaml(file, text);
  // An empty file (a fact writer that has only just created it) holds no facts yet.
  if (parsed === null || parsed === undefined) return {};
  if (!isMapping(parsed)) {
    const kind = Array.isArray(parsed) ? 'a list' : `a ${typeof parsed}`;
    throw new FactsError('FACTS_NOT_MAPPING', `${file}: facts must be a mapping of names to values, found ${kind}`, {
      file,
    });
  }
  return parsed;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FactsError('FACTS_NOT_FOUND', `${file}: fact file does not exist`, { file, cause: err });
    throw new FactsError('FACTS_READ', `${file}: cannot read fact file: ${(err as Error).message}`, { file, cause: err });
  }
}

function isJson(file: string, text: string): boolean {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.json') return true;
  if (extension === '.yaml' || extension === '.yml') return false;
  return /^\s*[{[]/.test(text);
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const line = jsonErrorLine(text, message);
    throw new FactsError('FACTS_PARSE', `${file}:${line}: invalid JSON: ${summariseJsonError(message)}`, {
      file,
      line,
      cause: err,
    });
  }
}

function parseYaml(file: string, text: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const [error] = document.errors;
  if (error !== undefined) {
    const line = error.linePos?.[0].line;
    const where = line === undefined ? file : `${file}:${line}`;
    const summary = error.message.split('\n')[0];
    throw new FactsError('FACTS_PARSE', `${where}: invalid YAML: ${summary}`, { file, line, cause: error });
  }
  try {
    return document.toJS();
  } catch (err) {
    // Alias expansion limits and similar problems surface only when building values.
    throw new FactsError('FACTS_PARSE', `${file}: invalid YAML: ${(err as Error).message}`, { file, cause: err });
  }
}

function isMapping(value: unknown): value is Facts {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Mappings merge key by key; anything else in `overlay` replaces what `base` has. */
export function deepMerge(base: Facts, overlay: Facts): Facts {
  const merged: Facts = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    const next = isMapping(current) && isMapping(value) ? deepMerge(current, value) : value;
    // defineProperty keeps a fact named "__proto__" an ordinary key instead of a prototype change.
    Object.defineProperty(merged, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return merged;
}
