// The discovery methods are declared once, with their capabilities; names, aliases and errors all come from there.
import { describe, expect, it } from 'vitest';
import { DISCOVERY_METHODS, DiscoveryError, FILTER_KINDS, filterKindsOf } from '../../../src/client/discovery/index.js';
import { CONFIG_KEYS } from '../../../src/config/index.js';
import { buildFilter } from '../../../src/filter/index.js';

describe('discovery methods', () => {
  it('are what default_discovery_method accepts, aliases included', () => {
    const key = CONFIG_KEYS.find((k) => k.name === 'default_discovery_method')!;
    expect(key.type === 'enum' && key.values).toEqual(DISCOVERY_METHODS.names());
    expect(DISCOVERY_METHODS.names()).toEqual(['mc', 'broadcast', 'flatfile', 'registry']);
  });

  it('answers an unknown name with the unknown_method error listing the methods', () => {
    let error: unknown;
    try {
      DISCOVERY_METHODS.get('puppetdb');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DiscoveryError);
    expect(error).toMatchObject({ code: 'unknown_method', message: "unknown discovery method 'puppetdb' (known: mc, registry, flatfile)" });
  });

  it('declares capabilities as MCollective discovery plugins do', () => {
    expect(DISCOVERY_METHODS.canonical('broadcast')).toBe('mc');
    expect(DISCOVERY_METHODS.canonical('nosuch')).toBe('nosuch');
    expect(DISCOVERY_METHODS.get('broadcast').capabilities).toEqual({ filters: FILTER_KINDS, asksNodes: true });
    expect(DISCOVERY_METHODS.get('flatfile').capabilities).toEqual({ filters: ['identity'], asksNodes: false });
    expect(DISCOVERY_METHODS.supports('registry', 'compound')).toBe(true);
    expect(DISCOVERY_METHODS.supports('flatfile', 'compound')).toBe(false);
    expect(DISCOVERY_METHODS.asksNodes('registry')).toBe(false);
  });

  it('tells which filter kinds a filter uses', () => {
    const filter = buildFilter({ facts: ['role=web'], classes: ['nginx'], identities: ['n1'], agents: ['puppet'], selects: [], withs: [] });
    expect(filterKindsOf(filter).sort()).toEqual(['agent', 'class', 'fact', 'identity']);
  });
});
