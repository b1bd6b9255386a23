// resource: apply one resource with Puppet, denied unless the node's type and name lists allow it, and never
// against a resource the node's Puppet catalog already manages (unless configured to allow that).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PuppetAgentError } from './errors.js';
import { puppetEnv, type PuppetPaths } from './paths.js';
import { puppetConfigArgs, type PuppetSettings, type ResourceSettings } from './settings.js';
import { isManaged, loadReportLogs, loadResources } from './summary.js';

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
  return `${type.split('::').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('::')}[${name}]`;
}

/** The anchors' checks and messages, in their order; throws PuppetAgentError(not_allowed). */
export function checkResourceAllowed(r: ResourceSettings, type: string, name: string): void {
  const deny = (message: string): never => {
    throw new PuppetAgentError('not_allowed', message);
  };
  if (r.typeWhitelist && r.typeBlacklist) {
    deny('You cannot specify both puppet.resource_type_whitelist and puppet.resource_type_blacklist in the config file');
  }
  if (r.typeBlacklist) {
    if (r.typeBlacklist.includes(type)) deny(`The ${type} type is listed in the type blacklist`);
  } else if (!(r.typeWhitelist ?? []).includes(type) || r.typeWhitelist?.includes('none')) {
    deny(`The ${type} type is not listed in the type whitelist`);
  }
  const names = r.nameWhitelist[type];
  const denied = r.nameBlacklist[type];
  if (names && denied) {
    deny(`You cannot specify both puppet.resource_name_whitelist.${type} and puppet.resource_name_blacklist.${type} in the config file`);
  }
  if (denied?.includes(name)) deny(`The ${name} name is listed in the name blacklist`);
  if (names && !names.includes(name)) deny(`The ${name} name is not listed in the name whitelist`);
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

function runPuppet(argv: string[], signal: AbortSignal | undefined): Promise<number> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { env: puppetEnv(), signal, maxBuffer: 16 << 20 }, (err) => {
      if (!err) return resolve(0);
      const code = (err as { code?: unknown }).code;
      resolve(typeof code === 'number' ? code : 1);
    });
  });
}

export async function applyResource(req: ResourceRequest, s: PuppetSettings, paths: PuppetPaths, signal?: AbortSignal): Promise<{ result: string; changed: boolean }> {
  const type = req.type.toLowerCase();
  checkResourceAllowed(s.resource, type, req.name);
  const title = resourceTitle(type, req.name);
  if (!s.resource.allowManaged && isManaged(await loadResources(paths.resourcefile), type, req.name)) {
    throw new PuppetAgentError('not_allowed', `Puppet is managing the resource '${title}', refusing to create conflicting states`);
  }
  const manifest = resourceManifest({ ...req, type });
  // A one-off catalog: its summary and report go to a scratch directory, never over the node's last run.
  const scratch = await mkdtemp(join(tmpdir(), 'troupe-resource-'));
  try {
    const binary = (s.mode === 'apply' ? s.applyCommand : s.command)[0]!;
    const argv = [binary, 'apply', ...puppetConfigArgs(s), '--color=false', '--detailed-exitcodes', '--no-write-catalog-summary', '--reports', 'none'];
    argv.push('--lastrunfile', join(scratch, 'summary.yaml'), '--lastrunreport', join(scratch, 'report.yaml'));
    if (req.environment) argv.push('--environment', req.environment);
    argv.push('-e', manifest);
    const code = await runPuppet(argv, signal);
    const logs = (await loadReportLogs(join(scratch, 'report.yaml'))).filter((l) => l.level !== 'debug' && l.level !== 'info');
    const result = logs.map((l) => `${l.source}: ${l.msg}`).join('\n') || 'no output produced';
    // --detailed-exitcodes: 2 changes, 4 failures, 6 both; anything else that is not 0 is a failed run.
    if (code !== 0 && code !== 2) {
      const errors = logs.filter((l) => l.level === 'err').map((l) => l.msg);
      throw new PuppetAgentError('resource_failed', `Failed to apply ${title}: ${errors.join('; ') || `puppet apply exited with ${code}`}`);
    }
    return { result, changed: code === 2 };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
