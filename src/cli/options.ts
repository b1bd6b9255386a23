// The options every request application shares (filters, discovery, request shaping, output), as MCollective's.
import { Command, InvalidArgumentError, Option } from 'commander';
import { buildFilter } from '../filter/index.js';
import type { SendOptions, TargetOptions } from '../client/request.js';
import type { ClientDefaults, Output } from '../client/session.js';
import { UsageError } from '../client/errors.js';
import { DISCOVERY_METHODS, flatfileDiscovery } from '../client/discovery/index.js';
import type { ConfigFlags } from './run.js';
import { discoveryLine } from './terminal.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds');
  return n;
}

export function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number above 0');
  return Number(value);
}

function countOrPercent(value: string): string {
  const v = value.trim();
  if (!/^\d+%?$/.test(v) || /^0+%?$/.test(v)) throw new InvalidArgumentError('expected N or N% (above 0)');
  if (v.endsWith('%') && Number(v.slice(0, -1)) > 100) throw new InvalidArgumentError('a percentage cannot exceed 100%');
  return v;
}

function displayMode(value: string): string {
  if (!['ok', 'failed', 'all', 'none'].includes(value)) throw new InvalidArgumentError('expected ok, failed, all or none');
  return value;
}

// Hidden long aliases MCollective users type (commander allows one short and one long flag per option);
// merged() folds them into the options they stand for.
const FILTER_ALIASES = [
  '--with-fact <fact>',
  '--with-class <class>',
  '--with-identity <identity>',
  '--with-agent <agent>',
  '--disc-option <option>',
];
const REQUEST_ALIASES = ['--limit <count>', '--ln <count>'];

export function addFilterOptions(cmd: Command): Command {
  cmd
    .option('-F, --wf <fact>', 'fact filter: fact=value, fact=/re/, fact>=4 … (repeat to AND)', collect)
    .option('-C, --wc <class>', 'Puppet class filter: name or /regex/ (repeat to AND)', collect)
    .option('-I, --wi <identity>', 'identity filter: name or /regex/ (repeat to OR)', collect)
    .option('-A, --wa <agent>', 'agent filter: name or /regex/ (repeat to AND)', collect)
    .option('-S, --select <expression>', "compound filter: 'role=web and (os.family=Debian or !/legacy/)'", collect)
    .option('-W, --with <filters>', 'space-separated fact and class filters', collect)
    .option('-T, --target <collective>', 'the collective to address')
    .option('--dm, --discovery-method <method>', 'discovery method: mc, registry or flatfile')
    .option('--do, --discovery-option <key=value>', 'option for the discovery method', collect)
    .option('--nodes <file>', 'discover the identities listed in FILE (flatfile)')
    .option('--dt, --discovery-timeout <seconds>', 'longest wait for discovery replies', seconds)
    .option('-c, --config <file>', 'client config file')
    .option('-j, --json', 'print JSON for scripts and CI')
    .option('-v, --verbose', 'verbose output')
    .option('--debug', 'print stack traces on errors');
  for (const flag of FILTER_ALIASES) cmd.addOption(new Option(flag).hideHelp().argParser(collect));
  cmd.addOption(new Option('--disc-method <method>').hideHelp());
  return cmd;
}

export function addRequestOptions(cmd: Command): Command {
  addFilterOptions(cmd)
    .option('-t, --timeout <seconds>', 'how long to wait for replies (default: agent timeout + discovery timeout)', seconds)
    .option('--ttl <seconds>', 'how long the request stays valid', positiveInteger)
    .option('--batch <size>', 'send to N or N% of the nodes at a time', countOrPercent)
    .option('--batch-sleep <seconds>', 'pause between batches', seconds, 1)
    .option('--limit-nodes <count>', 'act on only N or N% of the discovered nodes', countOrPercent)
    .option('--limit-seed <seed>', 'seed for --limit-nodes random selection', positiveInteger)
    .option('-1, --one', 'act on one discovered node')
    .option('--np, --no-progress', 'no progress bar')
    .option('--display <mode>', 'which replies to print: ok, failed, all or none', displayMode)
    .option('--no-results', 'send the request and do not wait for replies')
    .option('--discovery-only', 'print the discovered nodes and send nothing');
  for (const flag of REQUEST_ALIASES) cmd.addOption(new Option(flag).hideHelp().argParser(countOrPercent));
  cmd.addOption(new Option('--nr').hideHelp());
  return cmd;
}

type DisplayMode = 'ok' | 'failed' | 'all' | 'none';

/** The options addFilterOptions declares, as commander names them (hidden MCollective aliases included). */
export interface FilterFlags extends ConfigFlags {
  wf?: string[];
  wc?: string[];
  wi?: string[];
  wa?: string[];
  select?: string[];
  with?: string[];
  target?: string;
  discoveryMethod?: string;
  discoveryOption?: string[];
  nodes?: string;
  discoveryTimeout?: number;
  json?: boolean;
  verbose?: boolean;
  withFact?: string[];
  withClass?: string[];
  withIdentity?: string[];
  withAgent?: string[];
  discOption?: string[];
  discMethod?: string;
}

/** The options addRequestOptions declares on top of the filter options. */
export interface RequestFlags extends FilterFlags {
  timeout?: number;
  ttl?: number;
  batch?: string;
  batchSleep?: number;
  limitNodes?: string;
  limitSeed?: number;
  one?: boolean;
  /** false with --np / --no-progress */
  progress?: boolean;
  display?: DisplayMode;
  /** false with --no-results */
  results?: boolean;
  discoveryOnly?: boolean;
  limit?: string;
  ln?: string;
  nr?: boolean;
}

/** How a request's outcome is shown; the CLI's choice, not the application's. */
export interface OutputOptions {
  verbose: boolean;
  json: boolean;
  progress: boolean;
  display?: DisplayMode;
}

/** Folds the long aliases into the options they stand for. */
function merged(flags: RequestFlags): RequestFlags {
  return {
    ...flags,
    wf: [...(flags.wf ?? []), ...(flags.withFact ?? [])],
    wc: [...(flags.wc ?? []), ...(flags.withClass ?? [])],
    wi: [...(flags.wi ?? []), ...(flags.withIdentity ?? [])],
    wa: [...(flags.wa ?? []), ...(flags.withAgent ?? [])],
    discoveryMethod: flags.discoveryMethod ?? flags.discMethod,
    discoveryOption: [...(flags.discoveryOption ?? []), ...(flags.discOption ?? [])],
    limitNodes: flags.limitNodes ?? flags.limit ?? flags.ln,
    results: flags.nr ? false : flags.results,
  };
}

/** The nodes to address; with -v (and no --json) discovery is shown on `err` (stderr, as MCollective's). */
export function targetOptions(flags: RequestFlags, defaults: ClientDefaults, err: Output = process.stderr): TargetOptions {
  const o = merged(flags);
  const filter = buildFilter({
    facts: o.wf ?? [],
    classes: o.wc ?? [],
    identities: o.wi ?? [],
    agents: o.wa ?? [],
    selects: o.select ?? [],
    withs: o.with ?? [],
  });
  const collective = o.target ?? defaults.mainCollective;
  if (!defaults.collectives.includes(collective)) {
    throw new UsageError(
      `collective '${collective}' is not one of the configured collectives (${defaults.collectives.join(', ')})`,
      'add it to `collectives` in the client config',
    );
  }
  const discoveryOptions: Record<string, string> = {};
  for (const kv of o.discoveryOption ?? []) {
    const i = kv.indexOf('=');
    if (i < 1) throw new UsageError(`--do expects key=value, got '${kv}'`);
    discoveryOptions[kv.slice(0, i)] = kv.slice(i + 1);
  }
  let method = DISCOVERY_METHODS.canonical(o.discoveryMethod ?? defaults.discoveryMethod);
  if (o.nodes) {
    if (o.discoveryMethod && method !== flatfileDiscovery.name) throw new UsageError('--nodes cannot be combined with --dm ' + method);
    method = flatfileDiscovery.name;
    discoveryOptions.file = o.nodes;
  }
  if (o.select?.length && !DISCOVERY_METHODS.supports(method, 'compound'))
    throw new UsageError('compound filters (-S) need broadcast or registry discovery (--dm mc or --dm registry)');
  return {
    ...(o.verbose && !o.json && { onDiscovery: discoveryLine(err) }),
    filter,
    collective,
    discoveryMethod: method,
    discoveryOptions,
    discoveryTimeoutMs: (o.discoveryTimeout ?? defaults.discoveryTimeoutMs / 1000) * 1000,
    quietWindowMs: defaults.quietWindowMs,
    limit: o.one ? '1' : o.limitNodes,
    limitSeed: o.limitSeed,
    limitMethod: o.one && !o.limitSeed ? defaults.limitMethod : o.limitSeed !== undefined ? 'random' : defaults.limitMethod,
  };
}

export function sendOptions(flags: RequestFlags, defaults: ClientDefaults): Omit<SendOptions, 'timeoutMs'> & { timeoutMs?: number } {
  const o = merged(flags);
  return {
    timeoutMs: o.timeout !== undefined ? o.timeout * 1000 : undefined,
    ttl: o.ttl ?? defaults.ttl,
    batch: o.batch,
    batchSleepMs: (o.batchSleep ?? 1) * 1000,
    noResults: o.results === false,
  };
}

export function outputOptions(flags: RequestFlags): OutputOptions {
  return {
    verbose: Boolean(flags.verbose),
    json: Boolean(flags.json),
    progress: flags.progress !== false,
    display: flags.display,
  };
}
