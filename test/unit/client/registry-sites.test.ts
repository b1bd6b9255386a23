// A registry of several sites: read at once, merged, and a site that does not answer named instead of left out.
import { describe, expect, it } from 'vitest';
import { buildFilter } from '../../../src/filter/index.js';
import { buildRegistrationRecord } from '../../../src/server/registration.js';
import { encodeRegistration } from '../../../src/protocol/index.js';
import {
  DiscoveryError,
  RegistryDiscovery,
  SitesRegistry,
  parseRegistrySites,
  queryRegistry,
  type RegistryEntry,
  type RegistrySource,
} from '../../../src/client/discovery/index.js';
import { haltCode } from '../../../src/client/exit-codes.js';

const NOW = Date.now();

function entry(identity: string, collectives = ['mcollective']): RegistryEntry {
  const record = buildRegistrationRecord(
    { identity, collectives, mainCollective: collectives[0]!, version: '1' },
    { identity, facts: {}, classes: [], agents: ['rpcutil'] },
    NOW - 1000,
  );
  return { data: encodeRegistration(record), storedAt: NOW - 1000 };
}

const answering = (entries: RegistryEntry[], reads: string[] = [], name = ''): RegistrySource => ({
  scan: async (visit) => {
    reads.push(name);
    entries.forEach(visit);
    return { maxAgeMs: 900_000 };
  },
  get: async () => ({ maxAgeMs: 900_000 }),
});
const silent: RegistrySource = {
  scan: () => Promise.reject(new Error('JetStream did not answer in time')),
  get: () => Promise.reject(new Error('JetStream did not answer in time')),
};
const request = (collective = 'mcollective') => ({ filter: buildFilter({}), collective, timeoutMs: 0, quietWindowMs: 0, options: {} });

describe('registry_sites', () => {
  it('takes NAME and NAME@DOMAIN, and refuses anything else or a site named twice', () => {
    expect(parseRegistrySites(['ams', 'edge@edge'])).toEqual([{ name: 'ams' }, { name: 'edge', domain: 'edge' }]);
    expect(() => parseRegistrySites(['ams@'])).toThrow(DiscoveryError);
    expect(() => parseRegistrySites(['a.b'])).toThrow(/NAME or NAME@DOMAIN/);
    expect(() => parseRegistrySites(['ams', 'ams@hub'])).toThrow(/twice/);
  });
});

describe('SitesRegistry', () => {
  it('merges every site and names the one that did not answer', async () => {
    const sites = new SitesRegistry([
      { site: { name: 'ams' }, source: answering([entry('a1'), entry('a2')]) },
      { site: { name: 'nyc' }, source: silent },
      { site: { name: 'edge', domain: 'edge' }, source: answering([entry('e1')]) },
    ]);
    const answer = await queryRegistry(sites, { filter: buildFilter({}), collective: 'mcollective', now: NOW });
    expect(answer.nodes.map((n) => n.record.identity)).toEqual(['a1', 'a2', 'e1']);
    expect(answer.unanswered).toEqual([{ site: 'nyc', reason: 'JetStream did not answer in time' }]);

    const warned: string[] = [];
    const told: string[] = [];
    const found = await new RegistryDiscovery(sites, (l) => warned.push(l)).discover({
      ...request(),
      onUnanswered: (u) => told.push(u.site),
    });
    expect(found).toEqual(['a1', 'a2', 'e1']);
    expect(warned).toEqual(['registry: site nyc did not answer (JetStream did not answer in time)']);
    expect(told).toEqual(['nyc']);
  });

  it('fails, naming every site, when none answers', async () => {
    const sites = new SitesRegistry([
      { site: { name: 'ams' }, source: silent },
      { site: { name: 'nyc' }, source: silent },
    ]);
    await expect(queryRegistry(sites, { filter: buildFilter({}), collective: 'mcollective' })).rejects.toMatchObject({
      code: 'no_site_answered',
      message: expect.stringMatching(/ams \(.*\); nyc/) as unknown,
    });
  });

  it('reads only the site a collective is named after', async () => {
    const reads: string[] = [];
    const sites = new SitesRegistry([
      { site: { name: 'lon' }, source: answering([entry('l1', ['mcollective', 'lon'])], reads, 'lon') },
      { site: { name: 'nyc' }, source: silent },
    ]);
    const answer = await queryRegistry(sites, { filter: buildFilter({}), collective: 'lon', now: NOW });
    expect(answer.nodes.map((n) => n.record.identity)).toEqual(['l1']);
    expect(answer.unanswered).toEqual([]);
    expect(reads).toEqual(['lon']);
  });

  it('a site that did not answer makes an otherwise good run exit 2', () => {
    expect(haltCode({ discovered: 3, responses: 3, failed: 0, noResponse: 0, unanswered: 1 })).toBe(2);
    expect(haltCode({ discovered: 3, responses: 3, failed: 0, noResponse: 0, unanswered: 0 })).toBe(0);
  });
});
