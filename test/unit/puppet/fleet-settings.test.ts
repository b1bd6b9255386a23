import { describe, expect, it } from 'vitest';
import { nodePluginSettings, parseFleet } from '../../../src/server/fleet.js';

describe('per-node plugin settings in simulated fleets', () => {
  it('accept a settings object of plugin keys, and nothing else', () => {
    const fleet = parseFleet({ nodes: [{ identity: 'n1', settings: { 'plugin.puppet.config': '/srv/n1/puppet.conf' } }] });
    expect(fleet.nodes[0]!.settings).toEqual({ 'plugin.puppet.config': '/srv/n1/puppet.conf' });
    expect(() => parseFleet({ nodes: [{ identity: 'n1', settings: { identity: 'other' } }] })).toThrow();
    expect(() => parseFleet({ nodes: [{ identity: 'n1', settings: { 'plugin.puppet.splay': false } }] })).toThrow();
  });

  it("layer the node's own settings over the config file's, filling in {identity}", () => {
    const node = { identity: 'web-01.example.net', settings: { 'plugin.puppet.splay': 'false', 'plugin.other.x': 'y' } };
    const fromConfig = { lastrunfile: '/srv/{identity}/summary.yaml', splay: 'true' };
    expect(nodePluginSettings(node, 'puppet', fromConfig)).toEqual({ lastrunfile: '/srv/web-01.example.net/summary.yaml', splay: 'false' });
    expect(nodePluginSettings({ identity: 'n2' }, 'puppet')).toEqual({});
  });
});
