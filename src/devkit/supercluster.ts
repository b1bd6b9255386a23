// Private multi-site brokers on loopback for the tests and the benchmark: each site a cluster of nats-servers joined
// by routes, the sites joined by gateways (a supercluster), and leaf sites that dial out to a hub site's leafnode
// port. Every server has a monitoring port, so tests can read routes, gateways and interest (`/gatewayz`).
// Plain TCP: the TLS and permissions of a real site come from `mco broker config`, not from here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, LocalNatsServer } from './nats-server.js';
import { WanLinks } from './wan.js';

export interface SiteSpec {
  name: string;
  /** Servers in the site's cluster; 3 unless given. A leaf site of one server has no cluster block. */
  brokers?: number;
  /** A leaf site: its servers dial out to this site's leafnode ports instead of joining the gateways. */
  leafOf?: string;
}

export interface SuperclusterOptions {
  sites: SiteSpec[];
  /**
   * JetStream on every server. Default true. nats-server runs one JetStream over a supercluster: the gateway sites
   * share the domain `domain` (a site's streams are placed in its cluster, named after the site); each leaf site is a
   * domain of its own, named after it.
   */
  jetstream?: boolean;
  /** The gateway sites' JetStream domain; default 'hub'. */
  domain?: string;
  /** Extra lines for every server's configuration (limits, say). */
  config?: string;
  /** Raise every server's open-file limit (up to the hard limit), for sites that hold thousands of connections. */
  maxOpenFiles?: number;
  /** Gateway connections through proxies (wan.ts), so cutWan/healWan can cut the link between two sites. */
  cuttableWan?: boolean;
}

export interface SiteServer {
  name: string;
  server: LocalNatsServer;
  /** The monitoring endpoint, http://127.0.0.1:PORT. */
  monitor: string;
}

export interface LocalSite {
  name: string;
  leafOf?: string;
  servers: SiteServer[];
  /** Client URLs of the site's servers. */
  urls: string[];
  /** The JetStream domain the site's streams are in, when JetStream is on (see SuperclusterOptions.jetstream). */
  domain?: string;
}

interface Ports {
  client: number;
  cluster: number;
  gateway: number;
  leaf: number;
  http: number;
  /** The proxy in front of `gateway` that other sites dial (cuttableWan). */
  wan: number;
}

const q = (s: string) => JSON.stringify(s);

// Gateways with leafnodes need a system account. Clients that give no credentials are the application account's user.
const APP_USER = 'troupe';
const ACCOUNTS = [
  'accounts {',
  '  SYS: { users: [ { user: sys, password: sys } ] }',
  `  APP: { jetstream: enabled, users: [ { user: ${APP_USER}, password: ${APP_USER} } ] }`,
  '}',
  'system_account: SYS',
  `no_auth_user: ${APP_USER}`,
].join('\n');
const SITE_NAME = /^[A-Za-z0-9_-]+$/;

/** nats-server's monitoring JSON at `path` (`/gatewayz`, `/routez`, …) of one server. */
export async function monitorJson<T = Record<string, unknown>>(server: SiteServer, path: string): Promise<T> {
  const res = await fetch(server.monitor + path);
  if (!res.ok) throw new Error(`${server.name}${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export class LocalSupercluster {
  readonly sites = new Map<string, LocalSite>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'troupe-sites-'));
  private readonly ports = new Map<string, Ports[]>();
  private readonly wan = new WanLinks();

  constructor(private readonly opts: SuperclusterOptions) {
    const names = new Set<string>();
    for (const s of opts.sites) {
      if (!SITE_NAME.test(s.name) || names.has(s.name)) throw new Error(`site name '${s.name}' is not usable or repeated`);
      names.add(s.name);
    }
    for (const s of opts.sites)
      if (s.leafOf !== undefined && (!names.has(s.leafOf) || opts.sites.find((o) => o.name === s.leafOf)?.leafOf))
        throw new Error(`leaf site '${s.name}' names '${s.leafOf}', which is not a gateway site`);
  }

  site(name: string): LocalSite {
    const s = this.sites.get(name);
    if (!s) throw new Error(`no site '${name}'`);
    return s;
  }

  /** Every server of every site. */
  get servers(): SiteServer[] {
    return [...this.sites.values()].flatMap((s) => s.servers);
  }

  async start(): Promise<this> {
    // freePort() may hand out a port twice when asked many times before any server binds.
    const taken = new Set<number>();
    const port = async (): Promise<number> => {
      for (;;) {
        const p = await freePort();
        if (!taken.has(p)) return (taken.add(p), p);
      }
    };
    for (const s of this.opts.sites) {
      const count = s.brokers ?? 3;
      const ports: Ports[] = [];
      for (let i = 0; i < count; i++)
        ports.push({
          client: await port(),
          cluster: await port(),
          gateway: await port(),
          leaf: await port(),
          http: await port(),
          wan: await port(),
        });
      this.ports.set(s.name, ports);
    }
    for (const s of this.opts.sites) {
      const ports = this.ports.get(s.name)!;
      const servers = ports.map((p, i) => {
        const name = `${s.name}-${i + 1}`;
        const server = new LocalNatsServer({ port: p.client, config: this.configOf(s, i, name), maxOpenFiles: this.opts.maxOpenFiles });
        return { name, server, monitor: `http://127.0.0.1:${p.http}` };
      });
      this.sites.set(s.name, {
        name: s.name,
        leafOf: s.leafOf,
        servers,
        urls: ports.map((p) => `nats://127.0.0.1:${p.client}`),
        domain: this.opts.jetstream === false ? undefined : this.domainOf(s),
      });
    }
    if (this.opts.cuttableWan)
      for (const s of this.opts.sites)
        if (s.leafOf === undefined) for (const p of this.ports.get(s.name)!) await this.wan.proxy(s.name, p.wan, p.gateway);
    await Promise.all(this.servers.map((s) => s.server.start()));
    await this.ready();
    return this;
  }

  /** Gateway sites share one JetStream (one meta group over the supercluster); a leaf site has a domain of its own. */
  private domainOf(site: SiteSpec): string {
    return site.leafOf === undefined ? (this.opts.domain ?? 'hub') : site.name;
  }

  private configOf(site: SiteSpec, index: number, name: string): string {
    const ports = this.ports.get(site.name)!;
    const own = ports[index]!;
    const lines = [`server_name: ${q(name)}`, `http: 127.0.0.1:${own.http}`, ACCOUNTS, this.opts.config ?? ''];
    if (ports.length > 1) {
      const routes = ports.filter((_, j) => j !== index).map((p) => q(`nats-route://127.0.0.1:${p.cluster}`));
      lines.push(`cluster { name: ${q(site.name)}, listen: 127.0.0.1:${own.cluster}, routes: [${routes.join(', ')}] }`);
    }
    if (site.leafOf === undefined) {
      const others = this.opts.sites.filter((o) => o.leafOf === undefined && o.name !== site.name);
      const gateways = others.map((o) => {
        const urls = this.ports.get(o.name)!.map((p) => q(`nats://127.0.0.1:${this.opts.cuttableWan ? p.wan : p.gateway}`));
        return `{ name: ${q(o.name)}, urls: [${urls.join(', ')}] }`;
      });
      // Through the proxies, the address other sites learn by gossip must be the proxy's too.
      const advertise = this.opts.cuttableWan ? `, advertise: "127.0.0.1:${own.wan}"` : '';
      lines.push(`gateway { name: ${q(site.name)}, listen: 127.0.0.1:${own.gateway}${advertise}, gateways: [${gateways.join(', ')}] }`);
      if (this.opts.sites.some((o) => o.leafOf === site.name)) lines.push(`leafnodes { listen: 127.0.0.1:${own.leaf} }`);
    } else {
      const hub = this.ports.get(site.leafOf)!.map((p) => q(`nats-leaf://${APP_USER}:${APP_USER}@127.0.0.1:${p.leaf}`));
      lines.push(`leafnodes { remotes: [ { urls: [${hub.join(', ')}], account: APP } ] }`);
    }
    if (this.opts.jetstream !== false) lines.push(`jetstream { store_dir: ${q(join(this.dir, name))}, domain: ${q(this.domainOf(site))} }`);
    return lines.join('\n');
  }

  /**
   * Resolves once every server is up and sees its cluster (routes to every other member), every gateway site sees
   * every other, and every leaf server has its leafnode connection. After a kill or a restart, call it again.
   */
  async ready(timeoutMs = 20_000, only: SiteServer[] = this.servers): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = await this.notReady(only);
      if (!last) return;
      if (Date.now() > deadline) throw new Error(`the supercluster did not form within ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** What is still missing, in words; '' when everything is connected. */
  private async notReady(only: SiteServer[]): Promise<string> {
    for (const site of this.sites.values()) {
      const gatewaySites = [...this.sites.values()].filter((o) => o.leafOf === undefined && o.name !== site.name).map((o) => o.name);
      for (const s of site.servers) {
        if (!only.includes(s)) continue;
        try {
          if (site.servers.length > 1) {
            const routez = await monitorJson<{ num_routes: number }>(s, '/routez');
            if (routez.num_routes < site.servers.length - 1) return `${s.name} has ${routez.num_routes} routes`;
          }
          if (site.leafOf === undefined && gatewaySites.length > 0) {
            // Each server dials one server of every other site; inbound connections need not reach every server.
            const gw = await monitorJson<{ outbound_gateways?: Record<string, unknown> }>(s, '/gatewayz');
            const missing = gatewaySites.find((g) => !gw.outbound_gateways?.[g]);
            if (missing) return `${s.name} has no gateway to ${missing} yet`;
          }
          if (site.leafOf !== undefined) {
            const leafz = await monitorJson<{ leafnodes: number }>(s, '/leafz');
            if (leafz.leafnodes < 1) return `${s.name} has no leafnode connection yet`;
          }
          if (site.domain !== undefined && (site.leafOf === undefined || site.servers.length > 1)) {
            const jsz = await monitorJson<{ meta_cluster?: { leader?: string } }>(s, '/jsz');
            if (!jsz.meta_cluster?.leader) return `${s.name} has no JetStream meta leader yet`;
          }
        } catch (err) {
          return `${s.name}: ${(err as Error).message}`;
        }
      }
    }
    return '';
  }

  /** Stops every server of `name` (SIGKILL); restartSite brings them back with their ports and JetStream data. */
  async killSite(name: string): Promise<void> {
    await Promise.all(this.site(name).servers.map((s) => s.server.kill()));
  }

  async restartSite(name: string): Promise<void> {
    const site = this.site(name);
    await Promise.all(site.servers.map((s) => s.server.start()));
    await this.ready(20_000, site.servers);
  }

  /** Cuts the WAN between gateway sites `a` and `b` (cuttableWan): their gateway connections close and stay closed. */
  cutWan(a: string, b: string): void {
    if (!this.opts.cuttableWan) throw new Error('cutWan needs a supercluster started with cuttableWan');
    this.wan.cutLink(a, b);
  }

  /** Lets the gateways between `a` and `b` reconnect; ready() resolves once they have. */
  healWan(a: string, b: string): void {
    this.wan.healLink(a, b);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.server.stop()));
    await this.wan.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startSupercluster(opts: SuperclusterOptions): Promise<LocalSupercluster> {
  const sc = new LocalSupercluster(opts);
  try {
    return await sc.start();
  } catch (err) {
    await sc.stop();
    throw err;
  }
}
