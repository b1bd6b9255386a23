// From a runonce request to Puppet command-line options, in the anchors' order and with their refusals.
import { isIPv4, isIPv6 } from 'node:net';
import { PuppetAgentError } from './errors.js';
import type { PuppetSettings } from './settings.js';

export interface RunRequest {
  force?: boolean;
  server?: string;
  tags?: string;
  skip_tags?: string;
  noop?: boolean;
  splay?: boolean;
  splaylimit?: number;
  environment?: string;
  use_cached_catalog?: boolean;
  ignoreschedules?: boolean;
  revision?: string;
}

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function validHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host
    .replace(/\.$/, '')
    .split('.')
    .every((label) => HOSTNAME_LABEL.test(label));
}

/**
 * `host`, `host:port`, IPv4, bare IPv6 or `[v6]:port`, as the anchors' puppet_server_address validator.
 * Throws PuppetAgentError(invalid_input) with their messages.
 */
export function parseServerAddress(text: string): { host: string; port?: string } {
  let host = text;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
    if (!isIPv6(host)) throw new PuppetAgentError('invalid_input', `The hostname '${host}' is not a valid hostname`);
  } else if (!isIPv6(text) && text.split(':').length === 2) {
    [host, port] = text.split(':') as [string, string];
  }
  if (!bracketed && !isIPv4(host) && !isIPv6(host) && !validHostname(host)) {
    throw new PuppetAgentError('invalid_input', `The hostname '${host}' is not a valid hostname`);
  }
  if (port !== undefined && !/^\d+$/.test(port)) {
    throw new PuppetAgentError('invalid_input', `The port '${port}' is not a valid puppet master port`);
  }
  return port === undefined ? { host } : { host, port };
}

function splitTags(tags: string): string {
  return tags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .join(',');
}

/**
 * The options a run gets. When the run will be a signal to a running daemon, splay settings are not
 * applied (a signal carries no options). `force` means no splay at all.
 */
export function buildRunOptions(
  req: RunRequest,
  s: Pick<PuppetSettings, 'splay' | 'splaylimit' | 'allowServerOverride'>,
  willSignal: boolean,
): string[] {
  let splay: boolean | undefined;
  let splaylimit: number | undefined;
  if (!willSignal) {
    if (req.force === true) {
      splay = false;
    } else {
      splay = req.splay ?? s.splay;
      splaylimit = req.splaylimit;
      if (splay && splaylimit === undefined) splaylimit = s.splaylimit;
    }
  }
  if (splaylimit !== undefined && (!Number.isSafeInteger(splaylimit) || splaylimit < 0)) {
    throw new PuppetAgentError('invalid_input', `Invalid splaylimit '${splaylimit}' specified`);
  }

  const args: string[] = [];
  if (req.tags) args.push('--tags', splitTags(req.tags));
  if (req.skip_tags) args.push('--skip_tags', splitTags(req.skip_tags));
  if (splay !== undefined) args.push(splay ? '--splay' : '--no-splay');
  if (splaylimit !== undefined) args.push('--splaylimit', String(splaylimit));
  if (req.noop !== undefined) args.push(req.noop ? '--noop' : '--no-noop');
  if (req.environment) args.push('--environment', req.environment);
  if (req.server !== undefined) {
    if (!s.allowServerOverride) throw new PuppetAgentError('not_allowed', "Passing 'server' option is not allowed in module configuration");
    const { host, port } = parseServerAddress(req.server);
    args.push('--server', host);
    if (port !== undefined) args.push('--masterport', port);
  }
  if (req.ignoreschedules) args.push('--ignoreschedules');
  if (req.use_cached_catalog !== undefined) args.push(req.use_cached_catalog ? '--use_cached_catalog' : '--no-use_cached_catalog');
  return args;
}

/** The same request for `puppet apply`: the options a masterless run understands, and a refusal for the rest. */
export function buildApplyOptions(req: RunRequest): string[] {
  if (req.server !== undefined) throw new PuppetAgentError('invalid_input', "Passing 'server' has no meaning in masterless mode");
  if (req.use_cached_catalog !== undefined) {
    throw new PuppetAgentError('invalid_input', "Passing 'use_cached_catalog' has no meaning in masterless mode");
  }
  const args: string[] = [];
  if (req.tags) args.push('--tags', splitTags(req.tags));
  if (req.skip_tags) args.push('--skip_tags', splitTags(req.skip_tags));
  if (req.noop !== undefined) args.push(req.noop ? '--noop' : '--no-noop');
  if (req.environment) args.push('--environment', req.environment);
  if (req.ignoreschedules) args.push('--ignoreschedules');
  return args;
}

/** Seconds a masterless run sleeps before applying: the agent's splay rules, carried out by troupe's runner. */
export function applySplayLimit(req: RunRequest, s: Pick<PuppetSettings, 'splay' | 'splaylimit'>): number {
  if (req.force === true) return 0;
  const splay = req.splay ?? s.splay;
  if (!splay) return 0;
  const limit = req.splaylimit ?? s.splaylimit;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new PuppetAgentError('invalid_input', `Invalid splaylimit '${limit}' specified`);
  return limit;
}
