// resource: apply one resource with Puppet, denied unless the node's type and name lists allow it and every
// parameter is on the type's allow-list, and never against a resource the node's Puppet catalog already manages
// (unless configured to allow that). Names are checked in the form Puppet acts on: see resource-names.ts.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { puppetEnv, type PuppetPaths } from './paths.js';
import { canonicalName, canonicalPath, canonicalType, isPathName, normalisePath, resolvedForms } from './resource-names.js';
import { checkParams, NEVER_ALLOWED_TYPES, own, PATH_PARAMS } from './resource-params.js';
import { puppetConfigArgs, type PuppetSettings, type ResourceSettings } from './settings.js';
import { loadReportLogs, loadResources, managedTitles } from './summary.js';

const TYPE = /^[a-z][a-z0-9_]*(?:::[a-z][a-z0-9_]*)*$/;
const PARAMETER = /^[a-z][a-z0-9_]*$/;

export interface ResourceRequest {
  type: string;
  name: string;
  environment?: string;
  /** Every other input: the resource's parameters. */
  parameters: Record<string, unknown>;
}

export function resourceTitle(type: string, name: string): string {
  return `${type
    .split('::')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('::')}[${name}]`;
}

function deny(message: string): never {
  throw new PuppetAgentError('not_allowed', message);
}

/** Whether blacklist `entry` covers `name`: itself, or for paths anything beneath it; case never helps a name through. */
function covers(entry: string, name: string, paths: boolean): boolean {
  const e = entry.toLowerCase();
  const n = name.toLowerCase();
  return n === e || (paths && n.startsWith(e === '/' ? '/' : `${e}/`));
}

/** The type lists, in the anchors' order and words; throws PuppetAgentError(not_allowed). */
export function checkTypeAllowed(r: ResourceSettings, type: string): void {
  if (r.typeWhitelist && r.typeBlacklist) {
    deny('You cannot specify both puppet.resource_type_whitelist and puppet.resource_type_blacklist in the config file');
  }
  if (r.typeBlacklist) {
    if (r.typeBlacklist.map((t) => t.toLowerCase()).includes(type)) deny(`The ${type} type is listed in the type blacklist`);
  } else if (!(r.typeWhitelist ?? []).map((t) => t.toLowerCase()).includes(type) || r.typeWhitelist?.includes('none')) {
    deny(`The ${type} type is not listed in the type whitelist`);
  }
  const never = own(NEVER_ALLOWED_TYPES, type);
  if (never) deny(`The ${type} type ${never} and is never allowed`);
}

/**
 * The name lists, in the anchors' words. `name` is canonical (canonicalName) and `resolved` holds the other forms
 * it reaches through symbolic links (resolvedForms): the blacklist refuses when any form is listed or, for paths,
 * lies beneath a listed directory; the whitelist must list every form.
 */
export function checkNameAllowed(r: ResourceSettings, type: string, name: string, resolved: readonly string[] = []): void {
  const paths = isPathName(type, name);
  const entries = (list: string[] | undefined) => (list && paths ? list.map(normalisePath) : list);
  const names = entries(own(r.nameWhitelist, type));
  const denied = entries(own(r.nameBlacklist, type));
  if (names && denied) {
    deny(`You cannot specify both puppet.resource_name_whitelist.${type} and puppet.resource_name_blacklist.${type} in the config file`);
  }
  for (const form of [name, ...resolved]) {
    const entry = denied?.find((e) => covers(e, form, paths));
    if (entry === undefined) continue;
    const what = form === name ? `The ${name} name` : `The ${name} name resolves to ${form}, which`;
    const listed = entry.toLowerCase() === form.toLowerCase() ? 'is listed' : `is beneath ${entry}, which is listed`;
    deny(`${what} ${listed} in the name blacklist`);
  }
  if (names && !names.includes(name)) deny(`The ${name} name is not listed in the name whitelist`);
  for (const form of resolved) {
    if (names && !names.includes(form)) deny(`The ${name} name resolves to ${form}, which is not listed in the name whitelist`);
  }
}

/** Both lists, as applyResource checks them. */
export function checkResourceAllowed(r: ResourceSettings, type: string, name: string, resolved: readonly string[] = []): void {
  checkTypeAllowed(r, type);
  checkNameAllowed(r, type, name, resolved);
}

/** Parameters that are paths (a link's target) get the name's canonical form and the name blacklist. */
async function checkPathParams(r: ResourceSettings, type: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = { ...params };
  for (const [param, value] of Object.entries(params)) {
    if (!PATH_PARAMS.has(`${type}.${param}`)) continue;
    if (typeof value !== 'string') throw new PuppetAgentError('invalid_input', `The ${param} parameter must be a path`);
    const path = canonicalPath(value, param);
    const denied = own(r.nameBlacklist, type)?.map(normalisePath) ?? [];
    for (const form of [path, ...(await resolvedForms(path))]) {
      const entry = denied.find((e) => covers(e, form, true));
      if (entry !== undefined) deny(`The ${value} ${param} reaches ${form}, which is covered by ${entry} in the name blacklist`);
    }
    result[param] = path;
  }
  return result;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function puppetValue(key: string, value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return quote(String(value));
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return `[${value.map((v) => quote(String(v))).join(', ')}]`;
  }
  throw new PuppetAgentError('invalid_input', `Could not parse argument '${key}': only strings, numbers, booleans and lists of them`);
}

/** One resource as Puppet code; type and parameter names are checked, values single-quoted. */
export function resourceManifest(req: ResourceRequest): string {
  if (!TYPE.test(req.type)) throw new PuppetAgentError('invalid_input', `Invalid resource type '${req.type}'`);
  const params = Object.entries(req.parameters).map(([key, value]) => {
    if (!PARAMETER.test(key)) throw new PuppetAgentError('invalid_input', `Invalid resource parameter '${key}'`);
    return `${key} => ${puppetValue(key, value)}`;
  });
  return `${req.type} { ${quote(req.name)}: ${params.join(', ')} }`;
}

/** Most of Puppet's own error text a failed resource shows: its first error lines, each cut short. */
const MAX_ERROR_LINES = 3;
const MAX_ERROR_CHARS = 400;

/** Distinct error messages, at most MAX_ERROR_LINES, each at most MAX_ERROR_CHARS. */
export function boundedErrors(messages: readonly string[]): string[] {
  const errors: string[] = [];
  for (const message of messages) {
    const text = message.trim();
    const cut = text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
    if (cut !== '' && !errors.includes(cut)) errors.push(cut);
    if (errors.length === MAX_ERROR_LINES) break;
  }
  return errors;
}

/** Puppet's `Error:` lines in its output, without Facter's complaints about facts it could not read (they fail no run). */
export function puppetErrors(output: string): string[] {
  const lines = output.split('\n').map((line) => /^Error: (.*)$/.exec(line.trim())?.[1] ?? '');
  return boundedErrors(lines.filter((text) => text !== '' && !text.startsWith('Facter:')));
}

function runPuppet(argv: string[], signal: AbortSignal | undefined): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: puppetEnv(), signal, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const output = `${String(stdout)}\n${String(stderr)}`;
      if (!err) return resolve({ code: 0, output });
      const code = (err as { code?: unknown }).code;
      resolve({
        code: typeof code === 'number' ? code : 1,
        output: typeof code === 'number' ? output : `${output}\nError: ${err.message}`,
      });
    });
  });
}

export async function applyResource(
  req: ResourceRequest,
  s: PuppetSettings,
  paths: PuppetPaths,
  signal?: AbortSignal,
): Promise<{ result: string; changed: boolean }> {
  const type = canonicalType(req.type);
  checkTypeAllowed(s.resource, type);
  const name = canonicalName(type, req.name);
  const pathLike = isPathName(type, name);
  const resolved = pathLike ? await resolvedForms(name) : [];
  checkNameAllowed(s.resource, type, name, resolved);
  checkParams(type, req.parameters, s.resource.allowParams);
  const parameters = await checkPathParams(s.resource, type, req.parameters);
  if (!s.resource.allowManaged) {
    const managed = new Set(
      managedTitles(await loadResources(paths.resourcefile), type).map((t) => (pathLike ? normalisePath(t) : t).toLowerCase()),
    );
    const form = [name, ...resolved].find((f) => managed.has(f.toLowerCase()));
    if (form !== undefined) {
      throw new PuppetAgentError(
        'not_allowed',
        `Puppet is managing the resource '${resourceTitle(type, form)}', refusing to create conflicting states`,
      );
    }
  }
  const title = resourceTitle(type, name);
  const manifest = resourceManifest({ ...req, type, name, parameters });
  // A one-off catalog: its summary and report go to a scratch directory, never over the node's last run.
  const scratch = await mkdtemp(join(tmpdir(), 'troupe-resource-'));
  try {
    const binary = (s.mode === 'apply' ? s.applyCommand : s.command)[0]!;
    const argv = [
      binary,
      'apply',
      ...puppetConfigArgs(s),
      '--color=false',
      '--detailed-exitcodes',
      '--no-write-catalog-summary',
      '--reports',
      'none',
    ];
    argv.push('--lastrunfile', join(scratch, 'summary.yaml'), '--lastrunreport', join(scratch, 'report.yaml'));
    if (req.environment) argv.push('--environment', req.environment);
    argv.push('-e', manifest);
    const { code, output } = await runPuppet(argv, signal);
    const logs = (await loadReportLogs(join(scratch, 'report.yaml'))).filter((l) => l.level !== 'debug' && l.level !== 'info');
    const result = logs.map((l) => `${l.source}: ${l.msg}`).join('\n') || 'no output produced';
    // --detailed-exitcodes: 2 changes, 4 failures, 6 both; anything else that is not 0 is a failed run.
    if (code !== 0 && code !== 2) {
      // A catalog Puppet refused (a bad parameter value, say) leaves no report: its output says why.
      const reported = logs.filter((l) => l.level === 'err').map((l) => l.msg);
      const errors = reported.length > 0 ? boundedErrors(reported) : puppetErrors(output);
      throw new PuppetAgentError('resource_failed', `Failed to apply ${title}: ${errors.join('; ') || `puppet apply exited with ${code}`}`);
    }
    return { result, changed: code === 2 };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
