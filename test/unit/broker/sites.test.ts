import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  brokerPeers,
  brokerRoleOf,
  brokerUsers,
  isBrokerCertificate,
  renderBrokerConfig,
  siteLayoutFrom,
  type BrokerSettings,
  type SiteInput,
} from '../../../src/broker/index.js';
import { createDevPki, type DevPki } from '../../../src/devkit/pki.js';

let pki: DevPki;
let settings: BrokerSettings;

const hub: SiteInput = {
  site: 'ams',
  clusterListen: '127.0.0.1:6222',
  routes: ['tls://127.0.0.1:6223', '127.0.0.1:6224'],
  gatewayListen: '127.0.0.1:7222',
  gateways: 'ams=127.0.0.1:7222,lon=tls://127.0.0.1:7223|tls://127.0.0.1:7224',
  leafnodeListen: '127.0.0.1:7422',
  leafSites: ['edge'],
};

beforeEach(() => {
  pki = createDevPki({ nodes: ['web1.example.net'], clients: ['ops.troupe'] });
  for (const b of ['ams1', 'lon1']) pki.issue(b, { profile: 'broker', altNames: ['127.0.0.1'] });
  settings = {
    caDir: pki.caDir,
    listen: '127.0.0.1:4222',
    certFile: pki.certPath('ams1'),
    keyFile: pki.keyPath('ams1'),
    collectives: ['mcollective'],
    registryBucket: 'troupe_registry',
    operatorPattern: '\\.troupe$',
    pidFile: join(pki.dir, 'nats.pid'),
    jetstreamDir: join(pki.dir, 'js'),
    maxPayload: 2097152,
    layout: siteLayoutFrom(hub, 'ams1', true),
    monitor: '127.0.0.1:8222',
  };
});

afterEach(() => pki.cleanup());

describe('broker certificates', () => {
  it('are brokers, never node or operator users; node certificates are not brokers', () => {
    const cert = (n: string) => new X509Certificate(readFileSync(pki.certPath(n)));
    expect(isBrokerCertificate(cert('ams1'))).toBe(true);
    expect(isBrokerCertificate(cert('web1.example.net'))).toBe(false);
    expect(isBrokerCertificate(cert('ops.troupe'))).toBe(false);
    expect(brokerRoleOf('ams1', cert('ams1'), { operatorPattern: /\.troupe$/ })).toBeUndefined();
    expect(
      brokerUsers(settings)
        .map((u) => u.name)
        .sort(),
    ).toEqual(['ops.troupe', 'web1.example.net']);
    expect(
      brokerPeers(settings)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['ams1', 'lon1']);
  });
});

describe('site layout validation', () => {
  const layoutOf =
    (input: SiteInput, js = true) =>
    () =>
      siteLayoutFrom(input, 'ams1', js);
  it('is no layout without a site, and a site is needed by every cluster, gateway or leafnode setting', () => {
    expect(siteLayoutFrom({}, 'x', true)).toBeUndefined();
    for (const input of [
      { clusterListen: '0.0.0.0:6222' },
      { routes: ['tls://a:1'] },
      { gateways: 'a=b:1' },
      { leafRemotes: ['tls://a:1'] },
    ])
      expect(layoutOf(input)).toThrow(
        expect.objectContaining({ code: 'bad_site', message: expect.stringContaining('needs the site') as string }),
      );
  });
  it.each<[string, SiteInput, string, RegExp]>([
    ['site', { site: 'a.b' }, 'bad_site', /plugin\.broker\.site \(--site\)/],
    ['server name', { site: 'a', serverName: 'x y' }, 'bad_site', /--server-name/],
    ['cluster listen', { site: 'a', clusterListen: 'nowhere' }, 'bad_address', /--cluster-listen.*not HOST:PORT/],
    ['cluster port', { site: 'a', clusterListen: 'h:99999' }, 'bad_address', /--cluster-listen/],
    ['route scheme', { site: 'a', clusterListen: 'h:1', routes: ['http://h:2'] }, 'bad_address', /--routes.*nats-route:\/\//],
    ['route path', { site: 'a', clusterListen: 'h:1', routes: ['tls://u@h:2/x'] }, 'bad_address', /--routes/],
    ['routes without cluster', { site: 'a', routes: ['tls://h:2'] }, 'bad_layout', /--cluster-listen/],
    ['gateway listen', { site: 'a', gatewayListen: ':x' }, 'bad_address', /--gateway-listen/],
    ['gateways syntax', { site: 'a', gatewayListen: 'h:1', gateways: 'lon' }, 'bad_address', /--gateways.*NAME=URL/],
    ['gateway name', { site: 'a', gatewayListen: 'h:1', gateways: 'l.n=h:2' }, 'bad_site', /--gateways/],
    ['gateway twice', { site: 'a', gatewayListen: 'h:1', gateways: 'b=h:2,b=h:3' }, 'bad_layout', /named twice/],
    ['gateway without url', { site: 'a', gatewayListen: 'h:1', gateways: 'b=' }, 'bad_address', /has no URL/],
    ['gateways without port', { site: 'a', gateways: 'b=h:2' }, 'bad_layout', /--gateway-listen/],
    ['leafnode listen', { site: 'a', leafnodeListen: 'h' }, 'bad_address', /--leafnode-listen/],
    ['leaf remote', { site: 'e', leafRemotes: ['ftp://h:1'] }, 'bad_address', /--leaf-remotes/],
    ['leaf with gateway', { site: 'e', leafRemotes: ['h:1'], gatewayListen: 'h:2' }, 'bad_layout', /dials out only/],
    ['leaf in hub domain', { site: 'e', leafRemotes: ['h:1'], jetstreamDomain: 'hub' }, 'bad_layout', /must differ/],
    ['gateway site domain', { site: 'a', jetstreamDomain: 'other' }, 'bad_layout', /share one JetStream domain/],
    ['hub domain', { site: 'a', hubDomain: 'a.b' }, 'bad_site', /--hub-domain/],
    ['gateway without cluster', { site: 'a', gatewayListen: 'h:1' }, 'bad_layout', /needs a cluster/],
    ['gateway sites', { site: 'a', gatewaySites: ['x y'] }, 'bad_site', /--gateway-sites/],
    ['leaf sites', { site: 'a', leafSites: ['e=f=g'] }, 'bad_site', /--leaf-sites/],
    ['leaf site is gateway site', { site: 'a', leafSites: ['a'] }, 'bad_layout', /both/],
    ['leaf site in hub domain', { site: 'a', leafSites: ['e=hub'] }, 'bad_layout', /hub's JetStream domain/],
  ])('refuses a bad %s with its code, naming the option', (_what, input, code, message) => {
    expect(layoutOf(input)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) as string }));
    try {
      layoutOf(input)();
    } catch (err) {
      expect((err as { hint?: string }).hint).toBeTruthy();
    }
  });
  it('takes a gateway site without JetStream and without a cluster', () => {
    expect(siteLayoutFrom({ site: 'a', gatewayListen: 'h:1' }, 'b1', false)?.gatewayListen).toBe('h:1');
  });
  it('fills in defaults: tls:// for bare addresses, the certificate name, domains and the known sites', () => {
    const l = siteLayoutFrom(hub, 'ams1', true)!;
    expect(l).toMatchObject({
      serverName: 'ams1',
      routes: ['tls://127.0.0.1:6223', 'tls://127.0.0.1:6224'],
      gateways: [
        { name: 'ams', urls: ['tls://127.0.0.1:7222'] },
        { name: 'lon', urls: ['tls://127.0.0.1:7223', 'tls://127.0.0.1:7224'] },
      ],
      jetstreamDomain: 'hub',
      gatewaySites: ['ams', 'lon'],
      leafSites: [{ site: 'edge', domain: 'edge' }],
    });
    const leaf = siteLayoutFrom({ site: 'edge', leafRemotes: ['127.0.0.1:7422'] }, 'edge1', true)!;
    expect(leaf).toMatchObject({
      jetstreamDomain: 'edge',
      leafRemotes: ['tls://127.0.0.1:7422'],
      leafSites: [{ site: 'edge', domain: 'edge' }],
    });
  });
});

describe('a site broker configuration', () => {
  it('has the users in the application account, a system account, and routes, gateways and leafnodes pinned to broker certificates', () => {
    const text = renderBrokerConfig(settings, brokerUsers(settings), brokerPeers(settings));
    const pins = brokerPeers(settings).map((p) => p.pin);
    expect(text).toMatch(/^server_name: "ams1"$/m);
    expect(text).toMatch(/^http: "127\.0\.0\.1:8222"$/m);
    expect(text).toMatch(/accounts \{\n {2}TROUPE: \{\n {4}jetstream: enabled\n {4}users: \[/);
    expect(text).toContain('system_account: SYS');
    for (const block of ['cluster', 'gateway', 'leafnodes']) {
      const body = text.slice(text.indexOf(`\n${block} {`));
      const tls = body.slice(body.indexOf('tls {'), body.indexOf('}', body.indexOf('pinned_certs')));
      expect(tls).toMatch(block === 'leafnodes' ? /verify_and_map: true/ : /verify: true/);
      for (const pin of pins) expect(tls).toContain(pin);
      for (const u of brokerUsers(settings)) expect(tls).not.toContain(u.pin);
    }
    expect(text).toContain('{ name: "lon", urls: ["tls://127.0.0.1:7223", "tls://127.0.0.1:7224"] }');
    expect(text).toContain('{ user: "CN=lon1", account: TROUPE }');
    expect(text).toContain('domain: "hub"');
  });

  it("lets a node write only its own key in its site's bucket, and operators read every site's across domains", () => {
    const users = brokerUsers(settings);
    const node = users.find((u) => u.role === 'node')!;
    expect(node.permissions.publish).toEqual(
      expect.arrayContaining(['$KV.troupe_registry_ams.web1.example.net', '$JS.API.STREAM.CREATE.KV_troupe_registry_ams']),
    );
    expect(node.permissions.publish.filter((s) => s.includes('_lon') || s.includes('_edge'))).toEqual([]);
    const ops = users.find((u) => u.role === 'operator')!;
    expect(ops.permissions.publish).toEqual(
      expect.arrayContaining([
        '$JS.API.DIRECT.GET.KV_troupe_registry_lon.>',
        '$JS.hub.API.DIRECT.GET.KV_troupe_registry_ams.>',
        '$JS.edge.API.DIRECT.GET.KV_troupe_registry_edge.>',
        '$JS.edge.API.CONSUMER.CREATE.KV_troupe_registry_edge.>',
      ]),
    );
    expect(ops.permissions.publish).not.toContain('$JS.API.DIRECT.GET.KV_troupe_registry_edge.>');
    expect(ops.permissions.publish.some((s) => s.startsWith('$KV.troupe_registry_'))).toBe(false);
  });

  it('refuses to join brokers with a certificate that is not a broker certificate', () => {
    const bad = { ...settings, certFile: pki.certPath('web1.example.net'), keyFile: pki.keyPath('web1.example.net') };
    expect(() => renderBrokerConfig(bad, brokerUsers(bad), brokerPeers(bad))).toThrow(expect.objectContaining({ code: 'no_brokers' }));
  });
});
