// Settings found in DNS (`use_srv`): SRV records name the brokers and the CA service of a domain, as MCollective,
// Choria and Puppet publish them. The order of the records follows RFC 2782: lowest priority first, and within one
// priority a weighted random order, so that a fleet spreads over equal brokers but prefers the first priority.
import { execFileSync } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import os from 'node:os';
import { TroupeError, type ErrorCodeTable } from '../errors.js';
import { DOMAIN_NAME } from './domain.js';
import { ConfigError } from './errors.js';
import type { Config } from './config.js';

export const SRV_ERROR_CODES = {
  srv_not_found: 'no SRV record names a service in the domain (every name tried answered NXDOMAIN or no records)',
  srv_lookup_failed: 'the DNS server did not answer an SRV query (timeout, refused, server failure)',
  srv_no_domain: "the host's domain is not known, so there is no name to look up (set srv_domain)",
} as const satisfies ErrorCodeTable;
export type SrvErrorCode = keyof typeof SRV_ERROR_CODES;

export class SrvError extends TroupeError {
  override readonly name = 'SrvError';
  declare readonly code: SrvErrorCode;
  constructor(code: SrvErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, {
      cause: options?.cause,
      hint:
        code === 'srv_no_domain'
          ? 'set srv_domain in the config'
          : 'check the SRV records with `dig SRV <name>`, srv_domain and srv_nameserver, or set middleware_hosts',
    });
  }
}

/** One SRV answer. */
export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** Where brokers are published, first match wins: troupe's own name, then MCollective's and Puppet's scheme. */
export const BROKER_SRV_NAMES = ['_troupe-server._tcp', '_mcollective-server._tcp', '_x-puppet-mcollective._tcp'] as const;
/** Where the CA service is published: Puppet's CA name, then its server's (which hosts the CA by default), as Choria. */
export const CA_SRV_NAMES = ['_x-puppet-ca._tcp', '_x-puppet._tcp'] as const;

/**
 * RFC 2782 order: priorities ascending; within one priority, repeatedly pick a record at random with probability
 * proportional to its weight, weight-0 records placed first so they are chosen only when the draw lands on 0.
 * `random` returns [0, 1) (Math.random); tests inject their own.
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const ordered: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(priority)!].sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const draw = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      const at = left.findIndex((r) => (running += r.weight) >= draw);
      ordered.push(...left.splice(at === -1 ? 0 : at, 1));
    }
  }
  return ordered;
}

export interface SrvLookupOptions {
  /** Nameservers as `IP:PORT`; empty means the system resolver. */
  nameservers?: readonly string[];
  /** How long one query may take before it counts as failed. */
  timeoutMs?: number;
  random?: () => number;
}

/** What a lookup found: the name that answered and its records in RFC 2782 order. */
export interface SrvAnswer {
  name: string;
  records: SrvRecord[];
}

const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * Looks the names up in order and returns the first that has records. A name without records (NXDOMAIN, no data)
 * passes to the next; when none has any, the error says which names were tried and how each failed.
 */
export async function lookupSrv(names: readonly string[], what: string, opts: SrvLookupOptions = {}): Promise<SrvAnswer> {
  const resolver = new dns.Resolver({ timeout: opts.timeoutMs ?? 2000, tries: 2 });
  if (opts.nameservers && opts.nameservers.length > 0) resolver.setServers([...opts.nameservers]);
  const outcomes: string[] = [];
  let failed = false;
  for (const name of names) {
    let records: SrvRecord[];
    try {
      records = await resolver.resolveSrv(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (!NO_RECORDS.has(code)) failed = true;
      outcomes.push(`${name} (${NO_RECORDS.has(code) ? 'no records' : code})`);
      continue;
    }
    // A lone "." target says the service is decidedly not available in this domain (RFC 2782).
    const usable = records.filter((r) => r.name !== '' && r.name !== '.');
    if (usable.length === 0) {
      outcomes.push(`${name} (service not available here)`);
      break;
    }
    return { name, records: orderSrvRecords(usable, opts.random) };
  }
  const via = opts.nameservers && opts.nameservers.length > 0 ? ` via ${opts.nameservers.join(', ')}` : '';
  throw new SrvError(failed ? 'srv_lookup_failed' : 'srv_not_found', `no ${what} found by DNS SRV${via}: tried ${outcomes.join(', ')}`);
}

/** Host and port as a URL authority (IPv6 in brackets; a trailing dot of a DNS name dropped). */
export function srvAuthority(r: SrvRecord): string {
  const host = r.name.replace(/\.$/, '');
  return `${isIP(host) === 6 ? `[${host}]` : host}:${r.port}`;
}

/** A DNS domain name (labels of letters, digits, - and _, at most 63 characters each). */
export function isDomainName(text: string): boolean {
  return DOMAIN_NAME.test(text);
}

/** The domain of a fully qualified host name (`web1.dc1.example.net` → `dc1.example.net`), if it has one. */
export function domainPart(fqdn: string): string | undefined {
  const at = fqdn.indexOf('.');
  const domain = at === -1 ? '' : fqdn.slice(at + 1).replace(/\.$/, '');
  return domain && isDomainName(domain) ? domain : undefined;
}

/** The domain in Facter's facts: `networking.domain` (Facter 3+), else the legacy `domain` fact. */
export function domainFromFacts(facts: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!facts) return undefined;
  const networking = facts['networking'];
  const candidates = [
    typeof networking === 'object' && networking !== null ? (networking as Record<string, unknown>)['domain'] : undefined,
    facts['domain'],
  ];
  return candidates.find((d): d is string => typeof d === 'string' && d !== '' && isDomainName(d));
}

function hostnameF(): string {
  try {
    return execFileSync('hostname', ['-f'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/**
 * The domain to look SRV records up in: `srv_domain`, else the domain Facter reports for this host (when the
 * caller has facts), else the domain part of the host name (os.hostname, then `hostname -f`).
 */
export function srvDomain(config: Config, factDomain?: () => string | undefined): string {
  const configured = config.get('srv_domain').replace(/\.$/, '');
  if (configured) return configured;
  const found = factDomain?.() ?? domainPart(os.hostname()) ?? domainPart(hostnameF());
  if (!found) throw new SrvError('srv_no_domain', `use_srv is on but the domain of host ${os.hostname()} is not known`);
  return found;
}

/** srv_nameserver as Resolver.setServers takes it; the config's pattern checked the shape, this the address. */
export function srvNameservers(config: Config): string[] {
  const servers = config.get('srv_nameserver');
  for (const s of servers) {
    const host = s.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) === 0)
      throw new ConfigError('CONFIG_BAD_VALUE', `srv_nameserver: "${s}" is not an IP address with a port (HOST:PORT)`, {
        key: 'srv_nameserver',
        file: config.file,
      });
  }
  return servers;
}

export interface SrvContext {
  /** The domain Facter reports for this host, when the caller has facts. */
  factDomain?: () => string | undefined;
  random?: () => number;
}

function lookupOptions(config: Config, ctx: SrvContext): SrvLookupOptions {
  return { nameservers: srvNameservers(config), timeoutMs: config.get('srv_timeout') * 1000, random: ctx.random };
}

/** The brokers the domain publishes, as `nats://host:port` in RFC 2782 order. */
export async function findBrokers(config: Config, ctx: SrvContext = {}): Promise<{ name: string; servers: string[] }> {
  const domain = srvDomain(config, ctx.factDomain);
  const answer = await lookupSrv(
    BROKER_SRV_NAMES.map((n) => `${n}.${domain}`),
    'broker',
    lookupOptions(config, ctx),
  );
  return { name: answer.name, servers: answer.records.map((r) => `nats://${srvAuthority(r)}`) };
}

/** The CA service the domain publishes, as `https://host:port` (the first in RFC 2782 order). */
export async function findCaService(config: Config, ctx: SrvContext = {}): Promise<string> {
  const domain = srvDomain(config, ctx.factDomain);
  const answer = await lookupSrv(
    CA_SRV_NAMES.map((n) => `${n}.${domain}`),
    'CA service',
    lookupOptions(config, ctx),
  );
  return `https://${srvAuthority(answer.records[0]!)}`;
}

/** The CA service: `plugin.security.ca_url` when set, else found by SRV when use_srv is on, else none. */
export async function caServiceUrl(config: Config, ctx: SrvContext = {}): Promise<string | undefined> {
  const url = config.get('plugin.security.ca_url');
  if (url) return url;
  return config.get('use_srv') ? findCaService(config, ctx) : undefined;
}
