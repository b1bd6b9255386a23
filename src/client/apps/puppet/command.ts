// `mco puppet [OPTIONS] [FILTERS] <ACTION> [CONCURRENCY|MESSAGE]`: positional arguments and run options,
// checked with the anchors' messages before anything is sent.
import { UsageError } from '../../errors.js';

export const PUPPET_ACTIONS = ['count', 'enable', 'disable', 'resource', 'runall', 'runonce', 'status', 'summary'] as const;
export type PuppetAction = (typeof PUPPET_ACTIONS)[number];

/** The run options as given on the command line; absent means "not given". */
export interface RunFlags {
  force?: boolean;
  server?: string;
  tags?: string[];
  skip_tags?: string[];
  noop?: boolean;
  environment?: string;
  splay?: boolean;
  splaylimit?: number;
  use_cached_catalog?: boolean;
  ignoreschedules?: boolean;
  revision?: string;
  rerun?: number;
  wait?: boolean;
  waitTimeout?: number;
}

export type PuppetCommand =
  | { action: 'runonce'; data: Record<string, unknown>; waitTimeoutMs?: number }
  | { action: 'runall'; concurrency: number; rerunS?: number; data: Record<string, unknown> }
  | { action: 'status' | 'count' | 'summary' | 'enable' }
  | { action: 'disable'; message?: string }
  | { action: 'resource'; data: Record<string, unknown> };

const USAGE = 'mco puppet [OPTIONS] [FILTERS] <ACTION> [CONCURRENCY|MESSAGE]';
const ACTION_LIST = 'Action must be count, enable, disable, resource, runall, runonce, status or summary';

function usage(message: string): UsageError {
  return new UsageError(message, `usage: ${USAGE}; see 'mco puppet --help'`);
}

/** The runonce inputs the flags ask for; tags given several times are joined with commas. */
export function runonceData(f: RunFlags): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of [
    'force',
    'server',
    'noop',
    'environment',
    'splay',
    'splaylimit',
    'use_cached_catalog',
    'ignoreschedules',
    'revision',
  ] as const) {
    if (f[key] !== undefined) data[key] = f[key];
  }
  if (f.tags?.length) data.tags = f.tags.join(',');
  if (f.skip_tags?.length) data.skip_tags = f.skip_tags.join(',');
  return data;
}

function noMore(action: string, rest: string[]): void {
  if (rest.length > 0) throw usage(`The ${action} command takes no further arguments, got '${rest.join(' ')}'`);
}

function onlyFor(flag: string, given: unknown, actions: string[], action: string): void {
  if (given !== undefined && given !== false && !actions.includes(action)) {
    throw usage(`${flag} only applies to the ${actions.join(' and ')} command${actions.length > 1 ? 's' : ''}`);
  }
}

export function parsePuppetCommand(positional: readonly string[], f: RunFlags): PuppetCommand {
  const [action, ...rest] = positional;
  if (action === undefined) throw usage('Please specify a command.');
  if (!(PUPPET_ACTIONS as readonly string[]).includes(action)) throw usage(ACTION_LIST);

  if (f.force) {
    if (f.splay !== undefined) throw usage('Cannot set splay when forcing runs');
    if (f.splaylimit !== undefined) throw usage('Cannot set splaylimit when forcing runs');
  }
  const runOptions = [
    f.force,
    f.server,
    f.tags?.length ? f.tags : undefined,
    f.skip_tags?.length ? f.skip_tags : undefined,
    f.noop,
    f.environment,
    f.splay,
    f.splaylimit,
    f.use_cached_catalog,
    f.ignoreschedules,
    f.revision,
  ];
  if (!['runonce', 'runall'].includes(action) && runOptions.some((v) => v !== undefined)) {
    throw usage(`Run options (--force, --tags, --noop, --splay, --revision…) only apply to the runonce and runall commands`);
  }
  onlyFor('--rerun', f.rerun, ['runall'], action);
  onlyFor('--wait', f.wait, ['runonce'], action);

  switch (action as PuppetAction) {
    case 'runonce': {
      noMore(action, rest);
      const cmd: PuppetCommand = { action: 'runonce', data: runonceData(f) };
      if (f.wait) cmd.waitTimeoutMs = (f.waitTimeout ?? 600) * 1000;
      return cmd;
    }
    case 'runall': {
      const [arg, ...more] = rest;
      if (arg === undefined) throw usage('The runall command needs a concurrency limit');
      noMore(`${action} ${arg}`, more);
      if (!/^-?\d+$/.test(arg)) throw usage(`The concurrency for the runall command has to be a whole number, got '${arg}'`);
      const concurrency = Number(arg);
      if (concurrency <= 0) throw usage('The concurrency for the runall command has to be greater than 0');
      // runall forces every run, so splay options have no effect there.
      if (f.splay !== undefined || f.splaylimit !== undefined)
        throw usage('runall forces every run, so --splay, --no-splay and --splaylimit cannot be used with it');
      const cmd: PuppetCommand = { action: 'runall', concurrency, data: { ...runonceData(f), force: true } };
      if (f.rerun !== undefined) cmd.rerunS = f.rerun;
      return cmd;
    }
    case 'disable': {
      const [message, ...more] = rest;
      noMore(`${action} '${message}'`, more);
      return message === undefined ? { action: 'disable' } : { action: 'disable', message };
    }
    case 'resource': {
      const [type, name, ...properties] = rest;
      if (type === undefined) throw usage('The resource command needs a type to operate on');
      if (name === undefined) throw usage('The resource command needs a name to operate on');
      const data: Record<string, unknown> = { type, name };
      for (const prop of properties) {
        const m = /^([^=]+)=(.*)$/s.exec(prop);
        if (!m) throw usage(`Could not parse argument '${prop}'`);
        data[m[1]!.trim()] = m[2];
      }
      return { action: 'resource', data };
    }
    case 'status':
    case 'count':
    case 'summary':
    case 'enable':
      noMore(action, rest);
      return { action: action as 'status' | 'count' | 'summary' | 'enable' };
  }
}
