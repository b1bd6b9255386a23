// A broker's place among sites: its cluster (routes to the other brokers of its site), the gateways joining the
// sites into one supercluster, and leafnodes (a leaf site dials out to a hub site and listens on nothing else).
//
// Brokers meet only with broker certificates of the troupe CA (`mco ca generate NAME --broker`): routes and
// gateways verify the peer's certificate and pin its public key; the leafnode port maps a leaf broker's certificate
// to a leafnode user bound to the application account. JetStream follows nats-server 2.9: the gateway sites form
// one JetStream domain (the hub's), each site's streams placed in its own cluster; a leaf site is a domain of its own.
import { BrokerConfigError } from './errors.js';

export interface Gateway {
  name: string;
  urls: string[];
}

export interface LeafSite {
  site: string;
  domain: string;
}

/** The raw values, as flags or config keys give them: each checked by siteLayoutFrom. */
export interface SiteInput {
  site?: string;
  serverName?: string;
  clusterListen?: string;
  routes?: readonly string[];
  gatewayListen?: string;
  gateways?: string;
  leafnodeListen?: string;
  leafRemotes?: readonly string[];
  jetstreamDomain?: string;
  hubDomain?: string;
  gatewaySites?: readonly string[];
  leafSites?: readonly string[];
  monitor?: string;
}

/** A checked layout, as the settings line records it. */
export interface SiteLayout {
  site: string;
  /** Unique over every broker of every site (JetStream's meta group names its peers by it). */
  serverName: string;
  clusterListen?: string;
  routes: string[];
  gatewayListen?: string;
  gateways: Gateway[];
  leafnodeListen?: string;
  leafRemotes: string[];
  /** The JetStream domain of this broker: the hub's on gateway sites, the leaf site's own on a leaf site. */
  jetstreamDomain: string;
  hubDomain: string;
  /** Every gateway site, this one included when it is one: operators read their registry buckets in the hub domain. */
  gatewaySites: string[];
  /** Every leaf site with its domain: operators read their registry buckets there (`$JS.<domain>.API`). */
  leafSites: LeafSite[];
}

const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const SERVER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const URL_SCHEMES: Record<'route' | 'gateway' | 'leaf', readonly string[]> = {
  route: ['nats-route', 'tls', 'nats'],
  gateway: ['nats', 'tls'],
  leaf: ['nats-leaf', 'tls', 'nats'],
};

function bad(code: 'bad_site' | 'bad_address' | 'bad_layout', message: string, hint: string): BrokerConfigError {
  return new BrokerConfigError(code, message, { hint });
}

function siteName(value: string, what: string, hint: string): string {
  if (!NAME.test(value))
    throw bad('bad_site', `${what}: '${value}' is not a site or domain name`, `${hint}: up to 32 letters, digits, _ and -`);
  return value;
}

/** HOST:PORT with a port in range. */
export function checkHostPort(value: string, what: string, example: string): string {
  const m = HOST_PORT.exec(value);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw bad('bad_address', `${what}: '${value}' is not HOST:PORT`, `for example ${example}`);
  return value;
}

/** A URL of the kind's schemes, or HOST:PORT, which becomes tls://HOST:PORT. */
function brokerUrl(value: string, kind: keyof typeof URL_SCHEMES, what: string, example: string): string {
  const m = /^([a-z-]+):\/\/(.*)$/.exec(value);
  const schemes = URL_SCHEMES[kind];
  if (m && !schemes.includes(m[1]!))
    throw bad('bad_address', `${what}: '${value}' is not a ${schemes.map((s) => `${s}://`).join(' or ')} URL`, `for example ${example}`);
  const hostPort = m ? m[2]! : value;
  if (!HOST_PORT.test(hostPort) || Number(HOST_PORT.exec(hostPort)![2]) > 65535 || Number(HOST_PORT.exec(hostPort)![2]) < 1)
    throw bad('bad_address', `${what}: '${value}' is not a URL with HOST:PORT (no user, path or query)`, `for example ${example}`);
  return m ? value : `tls://${value}`;
}

/** `NAME=URL|URL,NAME=URL`: the gateway sites and their brokers' gateway addresses. */
export function parseGateways(value: string): Gateway[] {
  const what = 'plugin.broker.gateways (--gateways)';
  const example = 'ams=ams1.example.net:7222|ams2.example.net:7222,lon=lon1.example.net:7222';
  const gateways: Gateway[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq < 1) throw bad('bad_address', `${what}: '${entry}' is not NAME=URL|URL`, `for example ${example}`);
    const name = siteName(entry.slice(0, eq).trim(), what, 'name each gateway after its site');
    if (gateways.some((g) => g.name === name))
      throw bad('bad_layout', `${what}: site '${name}' is named twice`, 'list each site once, its URLs joined by |');
    const urls = entry
      .slice(eq + 1)
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((u) => brokerUrl(u, 'gateway', what, example));
    if (urls.length === 0) throw bad('bad_address', `${what}: site '${name}' has no URL`, `for example ${example}`);
    gateways.push({ name, urls });
  }
  return gateways;
}

function leafSite(value: string): LeafSite {
  const what = 'plugin.broker.leaf_sites (--leaf-sites)';
  const [site, domain, ...rest] = value.split('=');
  if (rest.length > 0) throw bad('bad_site', `${what}: '${value}' is not SITE or SITE=DOMAIN`, 'for example edge,shop=shops');
  const hint = 'leaf sites are SITE or SITE=DOMAIN (the domain defaults to the site)';
  const s = siteName(site!.trim(), what, hint);
  return { site: s, domain: domain === undefined ? s : siteName(domain.trim(), what, hint) };
}

const has = (v: string | undefined): v is string => v !== undefined && v !== '';

/** Peers to dial (routes, gateways) need the port they are dialled back on. */
function requirePort(peers: readonly unknown[], listen: string | undefined, what: string, port: string, flag: string): void {
  if (peers.length > 0 && !listen)
    throw bad(
      'bad_layout',
      `${what} need a ${port} port (--${flag})`,
      `pass --${flag} HOST:PORT (plugin.broker.${flag.replace('-', '_')}) as well`,
    );
}

/**
 * The checked layout of `input`, or undefined when it places the broker in no site (a single broker, as before).
 * `defaultServerName` is the broker certificate's name. Every error names the key and flag and says how to fix it.
 */
export function siteLayoutFrom(input: SiteInput, defaultServerName: string, jetstream: boolean): SiteLayout | undefined {
  const routes = input.routes ?? [];
  const leafRemotes = input.leafRemotes ?? [];
  const multi =
    has(input.clusterListen) ||
    routes.length > 0 ||
    has(input.gatewayListen) ||
    has(input.gateways) ||
    has(input.leafnodeListen) ||
    leafRemotes.length > 0;
  if (!has(input.site)) {
    if (multi)
      throw bad(
        'bad_site',
        'a cluster, gateway or leafnode needs the site the broker is in',
        'pass --site NAME or set plugin.broker.site (the cluster and gateway are named after it)',
      );
    return undefined;
  }
  const site = siteName(input.site, 'plugin.broker.site (--site)', 'name the site, e.g. --site ams');
  const serverName = has(input.serverName) ? input.serverName : defaultServerName;
  if (!SERVER_NAME.test(serverName))
    throw bad(
      'bad_site',
      `plugin.broker.server_name (--server-name): '${serverName}' is not a server name`,
      'up to 64 letters, digits, ., _ and -, unique over every broker of every site',
    );
  const clusterListen = has(input.clusterListen)
    ? checkHostPort(input.clusterListen, 'plugin.broker.cluster_listen (--cluster-listen)', '0.0.0.0:6222')
    : undefined;
  const routeExample = 'tls://ams2.example.net:6222,tls://ams3.example.net:6222';
  const routeUrls = routes.map((r) => brokerUrl(r, 'route', 'plugin.broker.routes (--routes)', routeExample));
  requirePort(routeUrls, clusterListen, 'plugin.broker.routes (--routes)', 'cluster', 'cluster-listen');
  const gatewayListen = has(input.gatewayListen)
    ? checkHostPort(input.gatewayListen, 'plugin.broker.gateway_listen (--gateway-listen)', '0.0.0.0:7222')
    : undefined;
  const gateways = has(input.gateways) ? parseGateways(input.gateways) : [];
  requirePort(gateways, gatewayListen, 'plugin.broker.gateways (--gateways)', 'gateway', 'gateway-listen');
  const leafnodeListen = has(input.leafnodeListen)
    ? checkHostPort(input.leafnodeListen, 'plugin.broker.leafnode_listen (--leafnode-listen)', '0.0.0.0:7422')
    : undefined;
  const leafUrls = leafRemotes.map((r) =>
    brokerUrl(r, 'leaf', 'plugin.broker.leaf_remotes (--leaf-remotes)', 'tls://lon1.example.net:7422,tls://lon2.example.net:7422'),
  );
  const leaf = leafUrls.length > 0;
  if (leaf && (gatewayListen || leafnodeListen))
    throw bad(
      'bad_layout',
      'a leaf site dials out only: leaf remotes and a gateway or leafnode port do not go together',
      'drop --gateway-listen/--leafnode-listen on a leaf site, or --leaf-remotes on a gateway site',
    );
  const hubDomain = siteName(
    has(input.hubDomain) ? input.hubDomain : 'hub',
    'plugin.broker.hub_domain (--hub-domain)',
    'e.g. --hub-domain hub',
  );
  const jetstreamDomain = siteName(
    has(input.jetstreamDomain) ? input.jetstreamDomain : leaf ? site : hubDomain,
    'plugin.broker.jetstream_domain (--jetstream-domain)',
    'e.g. --jetstream-domain edge',
  );
  if (leaf && jetstreamDomain === hubDomain)
    throw bad(
      'bad_layout',
      `a leaf site's JetStream domain must differ from the hub's ('${hubDomain}')`,
      'pass --jetstream-domain NAME (default: the site name)',
    );
  if (!leaf && jetstreamDomain !== hubDomain)
    throw bad(
      'bad_layout',
      `the gateway sites share one JetStream domain on nats-server 2.9: '${jetstreamDomain}' is not the hub's ('${hubDomain}')`,
      'leave --jetstream-domain unset on gateway sites, or set --hub-domain instead',
    );
  if (jetstream && gatewayListen && !clusterListen)
    throw bad(
      'bad_layout',
      'a gateway site with JetStream needs a cluster: nats-server runs JetStream over a supercluster only with routes',
      'pass --cluster-listen and --routes (three brokers a site), or --jetstream-dir "" to run without JetStream',
    );
  const gatewaySites = (input.gatewaySites ?? []).map((s) =>
    siteName(s.trim(), 'plugin.broker.gateway_sites (--gateway-sites)', 'list the gateway sites, e.g. ams,lon,nyc'),
  );
  for (const g of gateways) if (!gatewaySites.includes(g.name)) gatewaySites.push(g.name);
  if (!leaf && !gatewaySites.includes(site)) gatewaySites.push(site);
  const leafSites = (input.leafSites ?? []).map(leafSite);
  if (leaf && !leafSites.some((l) => l.site === site)) leafSites.push({ site, domain: jetstreamDomain });
  for (const l of leafSites) {
    if (gatewaySites.includes(l.site))
      throw bad('bad_layout', `site '${l.site}' is listed both as a gateway site and as a leaf site`, 'a site is one or the other');
    if (l.domain === hubDomain)
      throw bad(
        'bad_layout',
        `leaf site '${l.site}' has the hub's JetStream domain '${hubDomain}'`,
        'give each leaf site a domain of its own',
      );
    if (l.site === site && l.domain !== jetstreamDomain)
      throw bad(
        'bad_layout',
        `leaf site '${site}' is listed with domain '${l.domain}', but this broker's is '${jetstreamDomain}'`,
        'make them agree',
      );
  }
  return {
    site,
    serverName,
    clusterListen,
    routes: routeUrls,
    gatewayListen,
    gateways,
    leafnodeListen,
    leafRemotes: leafUrls,
    jetstreamDomain,
    hubDomain,
    gatewaySites,
    leafSites,
  };
}

/** The JetStream domain each known site's streams are in. */
export function siteDomains(layout: SiteLayout): Array<{ site: string; domain: string }> {
  return [...layout.gatewaySites.map((site) => ({ site, domain: layout.hubDomain })), ...layout.leafSites];
}

export function isSiteLayout(value: unknown): value is SiteLayout {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const str = (x: unknown) => typeof x === 'string';
  const opt = (x: unknown) => x === undefined || str(x);
  const strings = (x: unknown) => Array.isArray(x) && x.every(str);
  return (
    ['site', 'serverName', 'jetstreamDomain', 'hubDomain'].every((k) => str(v[k])) &&
    ['clusterListen', 'gatewayListen', 'leafnodeListen'].every((k) => opt(v[k])) &&
    ['routes', 'leafRemotes', 'gatewaySites'].every((k) => strings(v[k])) &&
    Array.isArray(v.gateways) &&
    v.gateways.every((g: unknown) => typeof g === 'object' && g !== null && str((g as Gateway).name) && strings((g as Gateway).urls)) &&
    Array.isArray(v.leafSites) &&
    v.leafSites.every((l: unknown) => typeof l === 'object' && l !== null && str((l as LeafSite).site) && str((l as LeafSite).domain))
  );
}
