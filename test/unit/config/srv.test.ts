// DNS SRV settings: RFC 2782 order of the records, the domain looked up, and the keys' bad values.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, domainFromFacts, orderSrvRecords, parseConfig, SrvError, type SrvRecord } from '../../../src/config/index.js';
import { domainPart, srvDomain, srvNameservers } from '../../../src/config/srv.js';
import { thrown } from '../../helpers/errors.js';

const rec = (name: string, priority: number, weight: number): SrvRecord => ({ name, port: 4222, priority, weight });
const names = (records: SrvRecord[]) => records.map((r) => r.name);

/** A random source that returns `values` in turn, as fractions of [0, 1). */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error('more random draws than expected');
    return values[i++]!;
  };
}

describe('orderSrvRecords (RFC 2782)', () => {
  it('puts lower priorities first, whatever order DNS answered in', () => {
    const ordered = orderSrvRecords([rec('c', 30, 0), rec('a', 10, 0), rec('b', 20, 0)], draws(0, 0, 0));
    expect(names(ordered)).toEqual(['a', 'b', 'c']);
  });

  it('within a priority, picks by running sum of weights: the draw decides', () => {
    const records = [rec('w10', 10, 10), rec('w30', 10, 30), rec('w60', 10, 60)];
    // total 100: draw 0..100; running sums 10, 40, 100.
    expect(names(orderSrvRecords(records, draws(0.05, 0, 0))).at(0)).toBe('w10'); // floor(0.05*101)=5 <= 10
    expect(names(orderSrvRecords(records, draws(0.3, 0, 0))).at(0)).toBe('w30'); // 30: 10 < 30 <= 40
    expect(names(orderSrvRecords(records, draws(0.99, 0, 0))).at(0)).toBe('w60'); // 99 > 40
    // After w60 is taken, total 40 over w10 (10) and w30 (40): a draw of 0.5 → 20 picks w30.
    expect(names(orderSrvRecords(records, draws(0.99, 0.5, 0)))).toEqual(['w60', 'w30', 'w10']);
  });

  it('places weight 0 first, so it is picked only when the draw lands on 0', () => {
    const records = [rec('heavy', 10, 50), rec('zero', 10, 0)];
    expect(names(orderSrvRecords(records, draws(0, 0)))).toEqual(['zero', 'heavy']);
    expect(names(orderSrvRecords(records, draws(0.5, 0)))).toEqual(['heavy', 'zero']);
  });

  it('orders all-zero weights as given, without needing chance', () => {
    const ordered = orderSrvRecords([rec('x', 5, 0), rec('y', 5, 0), rec('z', 5, 0)], draws(0.9, 0.9, 0.9));
    expect(names(ordered)).toEqual(['x', 'y', 'z']);
  });

  it('spreads over equal weights about evenly with Math.random, never crossing priorities', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const first = orderSrvRecords([rec('backup', 20, 100), rec('a', 10, 50), rec('b', 10, 50)]);
      expect(first.at(-1)!.name).toBe('backup');
      counts.set(first[0]!.name, (counts.get(first[0]!.name) ?? 0) + 1);
    }
    expect(counts.get('a')!).toBeGreaterThan(800);
    expect(counts.get('b')!).toBeGreaterThan(800);
  });

  it('keeps every record exactly once', () => {
    const records = [rec('a', 1, 3), rec('b', 1, 0), rec('c', 2, 7), rec('d', 1, 9), rec('e', 2, 0)];
    const ordered = orderSrvRecords(records);
    expect([...names(ordered)].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ordered.map((r) => r.priority)).toEqual([1, 1, 1, 2, 2]);
  });
});

const configError = (run: () => unknown): ConfigError => thrown(ConfigError, run);

describe('use_srv settings', () => {
  it('defaults: off, the host domain, the system resolver, 2 s queries', () => {
    const config = parseConfig('');
    expect(config.get('use_srv')).toBe(false);
    expect(config.get('srv_domain')).toBe('');
    expect(config.get('srv_nameserver')).toEqual([]);
    expect(config.get('srv_timeout')).toBe(2);
  });

  it.each(['exa mple.net', 'example..net', '-bad.example.net', 'a'.repeat(64) + '.net', 'example.net/x', '*.example.net'])(
    'refuses srv_domain = %s with the line and what a domain is',
    (domain) => {
      const err = configError(() => parseConfig(`use_srv = true\nsrv_domain = ${domain}\n`, 'client.cfg'));
      expect(err.code).toBe('CONFIG_BAD_VALUE');
      expect(err.message).toContain('client.cfg:2: srv_domain');
      expect(err.message).toContain('a DNS domain name');
    },
  );

  it('takes a domain, with or without its final dot', () => {
    expect(parseConfig('srv_domain = example.net.').get('srv_domain')).toBe('example.net.');
    expect(srvDomain(parseConfig('srv_domain = example.net.'))).toBe('example.net');
  });

  it.each(['127.0.0.1', 'localhost:53', '127.0.0.1:0', '127.0.0.1:65536', '300.1.1.1:53', '127.0.0.1:53:1', 'dns://127.0.0.1:53'])(
    'refuses srv_nameserver = %s: not HOST:PORT',
    (server) => {
      const err = configError(() => parseConfig(`srv_nameserver = ${server}\n`, 'client.cfg'));
      expect(err.code).toBe('CONFIG_BAD_VALUE');
      expect(err.message).toContain('srv_nameserver');
      expect(err.message).toContain('HOST:PORT');
    },
  );

  it('takes IPv4 and bracketed IPv6 nameservers; an IPv6 that is no address is refused when used', () => {
    expect(srvNameservers(parseConfig('srv_nameserver = 127.0.0.1:5353, [::1]:53'))).toEqual(['127.0.0.1:5353', '[::1]:53']);
    const err = configError(() => srvNameservers(parseConfig('srv_nameserver = [:::::]:53')));
    expect(err.message).toContain('not an IP address');
  });

  it('finds the domain in Facter facts: networking.domain, then domain', () => {
    expect(domainFromFacts({ networking: { domain: 'dc1.example.net' }, domain: 'old.example.net' })).toBe('dc1.example.net');
    expect(domainFromFacts({ domain: 'old.example.net' })).toBe('old.example.net');
    expect(domainFromFacts({ networking: { domain: '' } })).toBeUndefined();
    expect(domainFromFacts({ domain: 'not a domain' })).toBeUndefined();
    expect(domainFromFacts(undefined)).toBeUndefined();
  });

  it('srv_domain wins over the facts; the facts over the host name', () => {
    expect(srvDomain(parseConfig('srv_domain = set.example'), () => 'facts.example')).toBe('set.example');
    expect(srvDomain(parseConfig(''), () => 'facts.example')).toBe('facts.example');
  });

  it('takes the domain part of a fully qualified host name', () => {
    expect(domainPart('web1.dc1.example.net')).toBe('dc1.example.net');
    expect(domainPart('web1.example.net.')).toBe('example.net');
    expect(domainPart('web1')).toBeUndefined();
    expect(domainPart('web1.')).toBeUndefined();
    expect(domainPart('web1.bad domain')).toBeUndefined();
  });

  it('without srv_domain, facts or a dotted host name, says the domain is not known', () => {
    const config = parseConfig('');
    let outcome: string | SrvError;
    try {
      outcome = srvDomain(config);
    } catch (err) {
      outcome = err as SrvError;
    }
    // This host may well have a domain; then it is a domain name.
    if (typeof outcome === 'string') expect(domainPart(`host.${outcome}`)).toBe(outcome);
    else {
      expect(outcome).toBeInstanceOf(SrvError);
      expect(outcome.code).toBe('srv_no_domain');
      expect(outcome.message).toContain(os.hostname());
      expect(outcome.hint).toContain('srv_domain');
    }
  });

  it('knows whether middleware_hosts was written or left at its default', () => {
    expect(parseConfig('use_srv = 1').isSet('middleware_hosts')).toBe(false);
    expect(parseConfig('middleware_hosts = nats://127.0.0.1:4222').isSet('middleware_hosts')).toBe(true);
    expect(parseConfig('', undefined, { middleware_hosts: 'nats://127.0.0.1:4222' }).isSet('middleware_hosts')).toBe(true);
  });
});
