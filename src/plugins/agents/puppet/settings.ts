// The puppet agent's `plugin.puppet.*` settings, typed. Their defaults and bounds are the ones declared in
// src/config/keys.ts; the text is read here because `mco sim` gives each node its own.
import { keySpec, parseBoolean, type ConfigKey } from '../../../config/index.js';
import { PuppetAgentError } from './errors.js';
import { checkRevisionSyntax } from './git.js';
import { BUILTIN_ALLOWED_PARAMS, forbiddenParam } from './resource-params.js';

export type PuppetMode = 'agent' | 'apply';

/** Puppet's own files the agent reads and writes; empty means "ask Puppet where it keeps it". */
export const PATH_SETTINGS = [
  'agent_disabled_lockfile',
  'agent_catalog_run_lockfile',
  'pidfile',
  'lastrunfile',
  'lastrunreport',
  'resourcefile',
] as const;
export type PathSetting = (typeof PATH_SETTINGS)[number];

export interface PuppetSettings {
  mode: PuppetMode;
  /** Agent mode: the command a run is started with (`--onetime --no-daemonize …` are appended). */
  command: string[];
  /** Masterless mode: the command that applies the manifest. */
  applyCommand: string[];
  /** puppet.conf to use (`--config`), or undefined for Puppet's default. */
  config?: string;
  /** Puppet's confdir (`--confdir`), or undefined for Puppet's default. */
  confdir?: string;
  splay: boolean;
  splaylimit: number;
  /** Seconds between the daemon's scheduled runs; 0 schedules none. */
  runinterval: number;
  signalDaemon: boolean;
  allowServerOverride: boolean;
  /** Where detached runs write their output; undefined discards it. */
  runLogfile?: string;
  /** Paths given explicitly; the rest come from Puppet's settings. */
  paths: Partial<Record<PathSetting, string>>;
  /** troupe's own lock, held from the moment a run is requested until its process exits. */
  runonceLockfile?: string;
  masterless: MasterlessSettings;
  resource: ResourceSettings;
  /** The governor whose slot a run takes first, and how long runonce waits for one. */
  governor?: { name: string; maxWaitMs: number };
}

export interface MasterlessSettings {
  /** The git working copy holding the Puppet code. */
  codedir?: string;
  /** The manifest to apply, relative to codedir unless absolute. */
  manifest: string;
  /** Module path, colon-separated, entries relative to codedir unless absolute. */
  modulepath?: string;
  gitRemote: string;
  /** Branch and tag patterns (`*` wildcards) a requested revision must be, or be reachable from. */
  gitAllowedRefs: string[];
  /** The branch a run without a revision follows (fetched, checked against gitAllowedRefs, applied). */
  gitTrack?: string;
  gitTimeoutMs: number;
}

export interface ResourceSettings {
  allowManaged: boolean;
  typeWhitelist?: string[];
  typeBlacklist?: string[];
  nameWhitelist: Record<string, string[]>;
  nameBlacklist: Record<string, string[]>;
  /** Parameters `resource` may set, per type: the built-in lists with the configured ones over them. */
  allowParams: Record<string, string[]>;
}

/** A setting's name without its `plugin.puppet.` prefix. */
type SettingName<K = ConfigKey> = K extends `plugin.puppet.${infer Name}` ? Name : never;

const declared = <N extends SettingName>(name: N) => keySpec(`plugin.puppet.${name}`);

/** The defaults of the settings that have one, as declared with their keys. */
export const DEFAULTS = {
  mode: declared('mode').default,
  command: declared('command').default,
  apply_command: declared('apply_command').default,
  splay: declared('splay').default,
  splaylimit: declared('splaylimit').default,
  signal_daemon: declared('signal_daemon').default,
  allow_server_override: declared('allow_server_override').default,
  manifest: declared('manifest').default,
  git_remote: declared('git_remote').default,
  git_timeout: declared('git_timeout').default,
  governor_max_wait: declared('governor_max_wait').default,
  resource_allow_managed_resources: declared('resource_allow_managed_resources').default,
  'resource_allow_params.file': BUILTIN_ALLOWED_PARAMS['file'],
  'resource_allow_params.package': BUILTIN_ALLOWED_PARAMS['package'],
  'resource_allow_params.service': BUILTIN_ALLOWED_PARAMS['service'],
} as const;

function bool(raw: Readonly<Record<string, string>>, key: SettingName, fallback: boolean): boolean {
  const text = raw[key];
  if (text === undefined || text.trim() === '') return fallback;
  const value = parseBoolean(text.trim());
  if (value === undefined) throw new PuppetAgentError('bad_setting', `plugin.puppet.${key} should be a boolean, got '${text}'`);
  return value;
}

/** A whole-number setting, at least the minimum its key declares. */
function int(raw: Readonly<Record<string, string>>, key: 'splaylimit' | 'git_timeout' | 'governor_max_wait'): number {
  const { default: fallback, min } = declared(key);
  const text = raw[key];
  if (text === undefined || text.trim() === '') return fallback;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) {
    throw new PuppetAgentError('bad_setting', `plugin.puppet.${key} should be a whole number of at least ${min}, got '${text}'`);
  }
  return Number(text);
}

function text(raw: Readonly<Record<string, string>>, key: string): string | undefined {
  const value = raw[key]?.trim();
  return value ? value : undefined;
}

function words(value: string, key: string): string[] {
  const parts = value.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new PuppetAgentError('bad_setting', `plugin.puppet.${key} is empty`);
  return parts;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function perType(raw: Readonly<Record<string, string>>, prefix: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(prefix)) result[key.slice(prefix.length).toLowerCase()] = list(value) ?? [];
  }
  return result;
}

/** `resource_allow_params.<type>` over the built-in lists; metaparameters and renaming parameters are refused. */
function allowedParams(raw: Readonly<Record<string, string>>): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [type, params] of Object.entries(BUILTIN_ALLOWED_PARAMS)) result[type] = [...params];
  for (const [type, params] of Object.entries(perType(raw, 'resource_allow_params.'))) {
    for (const param of params) {
      const why = forbiddenParam(type, param);
      if (why) throw new PuppetAgentError('bad_setting', `plugin.puppet.resource_allow_params.${type} may not list '${param}': it ${why}`);
    }
    result[type] = params;
  }
  return result;
}

function governorOf(raw: Readonly<Record<string, string>>): PuppetSettings['governor'] {
  const name = text(raw, 'governor');
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new PuppetAgentError('bad_setting', `plugin.puppet.governor '${name}' is not a governor name`);
  const seconds = int(raw, 'governor_max_wait');
  // The wait has to end well inside the action's 20 s timeout, or the reply would be lost.
  if (seconds > 15)
    throw new PuppetAgentError('bad_setting', `plugin.puppet.governor_max_wait should be at most 15 seconds, got '${seconds}'`);
  return { name, maxWaitMs: seconds * 1000 };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, y: 365 * 86400 };

/** A duration as puppet.conf writes one (`1800`, `30m`, `1h`, `2d`), in seconds. */
export function parseDuration(value: string, key: string): number {
  const m = /^(\d+)([smhdy]?)$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * DURATION_UNITS[m[2] || 's']! : NaN;
  // setTimeout cannot wait longer than about 24 days at once; the scheduler splits longer waits, but years of them mean a typo.
  if (!Number.isSafeInteger(seconds) || seconds > 10 * 365 * 86400) {
    throw new PuppetAgentError('bad_setting', `plugin.puppet.${key} should be a duration such as 1800, 30m or 1h, got '${value}'`);
  }
  return seconds;
}

function gitTrackOf(raw: Readonly<Record<string, string>>, mode: PuppetMode): string | undefined {
  const branch = text(raw, 'git_track');
  if (branch === undefined) return undefined;
  if (mode !== 'apply')
    throw new PuppetAgentError('bad_setting', 'plugin.puppet.git_track only has a meaning in masterless mode (plugin.puppet.mode = apply)');
  try {
    checkRevisionSyntax(branch);
  } catch {
    throw new PuppetAgentError('bad_setting', `plugin.puppet.git_track '${branch}' is not a branch name`);
  }
  return branch;
}

/** Reads the raw `plugin.puppet.*` strings (prefix removed); bad values raise PuppetAgentError(bad_setting). */
export function parseSettings(raw: Readonly<Record<string, string>>): PuppetSettings {
  const mode = text(raw, 'mode') ?? DEFAULTS.mode;
  if (mode !== 'agent' && mode !== 'apply') {
    throw new PuppetAgentError('bad_setting', `plugin.puppet.mode should be agent or apply, got '${mode}'`);
  }
  const paths: Partial<Record<PathSetting, string>> = {};
  for (const key of PATH_SETTINGS) {
    const value = text(raw, key);
    if (value !== undefined) paths[key] = value;
  }
  return {
    mode,
    command: words(raw['command'] ?? DEFAULTS.command, 'command'),
    applyCommand: words(raw['apply_command'] ?? DEFAULTS.apply_command, 'apply_command'),
    config: text(raw, 'config'),
    confdir: text(raw, 'confdir'),
    splay: bool(raw, 'splay', DEFAULTS.splay),
    splaylimit: int(raw, 'splaylimit'),
    runinterval: parseDuration(text(raw, 'runinterval') ?? '0', 'runinterval'),
    signalDaemon: bool(raw, 'signal_daemon', DEFAULTS.signal_daemon),
    allowServerOverride: bool(raw, 'allow_server_override', DEFAULTS.allow_server_override),
    runLogfile: text(raw, 'run_logfile'),
    paths,
    runonceLockfile: text(raw, 'runonce_lockfile'),
    masterless: {
      codedir: text(raw, 'codedir'),
      manifest: text(raw, 'manifest') ?? DEFAULTS.manifest,
      modulepath: text(raw, 'modulepath'),
      gitRemote: text(raw, 'git_remote') ?? DEFAULTS.git_remote,
      gitAllowedRefs: list(text(raw, 'git_allowed_refs')) ?? [],
      gitTrack: gitTrackOf(raw, mode),
      gitTimeoutMs: int(raw, 'git_timeout') * 1000,
    },
    governor: governorOf(raw),
    resource: {
      allowManaged: bool(raw, 'resource_allow_managed_resources', DEFAULTS.resource_allow_managed_resources),
      typeWhitelist: list(text(raw, 'resource_type_whitelist')),
      typeBlacklist: list(text(raw, 'resource_type_blacklist')),
      nameWhitelist: perType(raw, 'resource_name_whitelist.'),
      nameBlacklist: perType(raw, 'resource_name_blacklist.'),
      allowParams: allowedParams(raw),
    },
  };
}

/** `--config`/`--confdir` for every Puppet command, so runs and lookups use the same tree. */
export function puppetConfigArgs(s: Pick<PuppetSettings, 'config' | 'confdir'>): string[] {
  const args: string[] = [];
  if (s.confdir) args.push('--confdir', s.confdir);
  if (s.config) args.push('--config', s.config);
  return args;
}
