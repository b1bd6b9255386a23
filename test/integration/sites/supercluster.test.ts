// Sites as sub-collectives over a real supercluster: three gateway sites of three nats-servers (ams, lon, nyc) and a
// leaf site of one (edge, a leaf of ams). Each site's nodes (`mco sim`) join `mcollective` and a collective named
// after their site, through their own site's brokers; a real `mco` client at ams reaches every site, and `-T lon`
// reaches lon alone: the other sites' servers get no message of that request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorJson, startSupercluster, type LocalSupercluster } from '../../../src/devkit/supercluster.js';
import { parseAs, type PingJson, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';

const SITES = ['ams', 'lon', 'nyc', 'edge'] as const;
type Site = (typeof SITES)[number];
const PER_SITE = 3;

let sc: LocalSupercluster;
const sims: RunningSim[] = [];
const scratch = scratchDir('troupe-sites-');
let clientConfig: string;

/** What `mco sim --nodes 3 --prefix SITE` names its nodes. */
const nodesOf = (site: Site) => Array.from({ length: PER_SITE }, (_, i) => `${site}-${String(i + 1).padStart(5, '0')}.example.net`);
const everyNode = () => SITES.flatMap(nodesOf).sort();

beforeAll(async () => {
  sc = await startSupercluster({
    jetstream: false,
    sites: [{ name: 'ams' }, { name: 'lon' }, { name: 'nyc' }, { name: 'edge', leafOf: 'ams', brokers: 1 }],
  });
  for (const site of SITES) {
    // A node at SITE, as an operator writes it: the main collective plus the site's own.
    const config = scratch.config(`${site}.cfg`, {
      middleware_hosts: sc.site(site).urls.join(','),
      collectives: `mcollective,${site}`,
      main_collective: 'mcollective',
      securityprovider: 'insecure',
      'plugin.actionpolicy.allow_unconfigured': 1,
      registerinterval: 0,
    });
    sims.push(await startSim(['--nodes', String(PER_SITE), '--prefix', site, '-c', config]));
  }
  clientConfig = scratch.config('client.cfg', {
    middleware_hosts: sc.site('ams').urls.join(','),
    collectives: `mcollective,${SITES.join(',')}`,
    main_collective: 'mcollective',
    securityprovider: 'insecure',
    discovery_timeout: 2,
  });
});

afterAll(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  await sc?.stop();
  scratch.cleanup();
});

const mco = async (args: string[]) => {
  const r = await runMco([...args, '--config', clientConfig]);
  expect(r.code, `mco ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return r;
};

interface Conn {
  cid: number;
  in_msgs: number;
  out_msgs: number;
  name?: string;
  subscriptions_list_detail?: Array<{ subject: string; msgs: number }>;
}
interface GatewayConn {
  connection: Conn;
  accounts?: Array<{ name: string; interest_mode: string; num_subs?: number }>;
}
interface Gatewayz {
  outbound_gateways: Record<string, GatewayConn>;
  inbound_gateways: Record<string, GatewayConn[]>;
}

/** Messages each server of `site` has received from other sites: over its gateways, or over its leafnode link. */
async function crossSiteIn(site: Site): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of sc.site(site).servers) {
    if (sc.site(site).leafOf !== undefined) {
      const leafz = await monitorJson<{ leafs: Conn[] }>(s, '/leafz');
      out[s.name] = leafz.leafs.reduce((n, l) => n + l.in_msgs, 0);
    } else {
      const gw = await monitorJson<Gatewayz>(s, '/gatewayz');
      const conns = [...Object.values(gw.outbound_gateways), ...Object.values(gw.inbound_gateways).flat()];
      out[s.name] = conns.reduce((n, c) => n + c.connection.in_msgs, 0);
    }
  }
  return out;
}

/** Messages the brokers of `site` have delivered to its nodes' connections, per node. */
async function deliveredToNodes(site: Site): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of sc.site(site).servers) {
    const connz = await monitorJson<{ connections: Conn[] }>(s, '/connz?acc=APP&limit=1000');
    for (const c of connz.connections) if (c.name?.startsWith('troupe-sim ')) out[c.name] = c.out_msgs;
  }
  return out;
}

/** The subjects the nodes of `site` subscribe to, over every server of the site. */
async function nodeSubjects(site: Site): Promise<Set<string>> {
  const subjects = new Set<string>();
  for (const s of sc.site(site).servers) {
    const connz = await monitorJson<{ connections: Conn[] }>(s, '/connz?acc=APP&subs=detail&limit=1000');
    for (const c of connz.connections)
      if (c.name?.startsWith('troupe-sim ')) for (const sub of c.subscriptions_list_detail ?? []) subjects.add(sub.subject);
  }
  return subjects;
}

const delta = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe('sites as sub-collectives over a supercluster', () => {
  it('mco ping at ams reaches every node of every site, the leaf site too', async () => {
    const r = await mco(['ping', '--json']);
    const senders = parseAs<PingJson>(r.stdout).replies.map((x) => x.sender);
    expect(senders.sort()).toEqual(everyNode());
  });

  it('mco rpc rpcutil ping at ams: every node discovered and answering, once', async () => {
    const r = await mco(['rpc', 'rpcutil', 'ping', '--json']);
    const report = parseAs<ReportJson>(r.stdout);
    expect(report.replies.map((x) => x.sender).sort()).toEqual(everyNode());
    expect(report.replies.every((x) => x.statuscode === 0)).toBe(true);
    expect(report.request_stats).toMatchObject({ discovered: SITES.length * PER_SITE, responses: SITES.length * PER_SITE });
  });

  it('-T picks one site: the leaf site through its hub, a gateway site with mco ping', async () => {
    const found = await mco(['find', '-T', 'edge']);
    expect(found.stdout.trim().split('\n')).toEqual(nodesOf('edge'));
    const pinged = parseAs<PingJson>((await mco(['ping', '-T', 'nyc', '--json'])).stdout);
    expect(pinged.replies.map((x) => x.sender).sort()).toEqual(nodesOf('nyc'));
  });

  it('every gateway carries the application account in interest-only mode', async () => {
    // Interest-only: a server sends a message to another site only on a subscription that site has announced.
    for (const s of sc.servers.filter((x) => sc.site(x.name.split('-')[0]!).leafOf === undefined)) {
      const gw = await monitorJson<Gatewayz>(s, '/gatewayz?accs=1&acc_name=APP');
      const accounts = [...Object.values(gw.outbound_gateways), ...Object.values(gw.inbound_gateways).flat()].flatMap(
        (g) => g.accounts ?? [],
      );
      expect(accounts.length, s.name).toBeGreaterThan(0);
      for (const a of accounts) expect(a.interest_mode, s.name).toBe('Interest-Only');
    }
  });

  it("nyc announces only its own nodes' subjects to ams: nothing in lon's collective", async () => {
    const subjects = await nodeSubjects('nyc');
    expect([...subjects].filter((s) => !/^(mcollective|nyc)\./.test(s))).toEqual([]);
    expect(subjects.has('nyc.broadcast.agent.rpcutil')).toBe(true);
    // The interest ams holds for nyc is exactly those subjects.
    for (const s of sc.site('ams').servers) {
      const gw = await monitorJson<Gatewayz>(s, '/gatewayz?accs=1&acc_name=APP');
      expect(gw.outbound_gateways.nyc!.accounts?.find((a) => a.name === 'APP')?.num_subs, s.name).toBe(subjects.size);
    }
  });

  it('-T lon gets only lon nodes; no message of the request reaches nyc or edge', async () => {
    const before = {
      lon: await crossSiteIn('lon'),
      edge: await crossSiteIn('edge'),
      nycNodes: await deliveredToNodes('nyc'),
      edgeNodes: await deliveredToNodes('edge'),
    };
    const r = await mco(['rpc', 'rpcutil', 'ping', '-T', 'lon', '--json']);
    const after = {
      lon: await crossSiteIn('lon'),
      edge: await crossSiteIn('edge'),
      nycNodes: await deliveredToNodes('nyc'),
      edgeNodes: await deliveredToNodes('edge'),
    };
    const report = parseAs<ReportJson>(r.stdout);
    expect(report.replies.map((x) => x.sender).sort()).toEqual(nodesOf('lon'));
    expect(report.request_stats).toMatchObject({ discovered: PER_SITE, responses: PER_SITE });
    // lon's servers took the discovery and the requests in over their gateways from ams.
    expect(sum(delta(before.lon, after.lon))).toBeGreaterThanOrEqual(2);
    // The leaf link carries the application account alone: its counter is exact.
    expect(delta(before.edge, after.edge)).toEqual({ 'edge-1': 0 });
    // nyc's gateways also carry the servers' own system traffic, so count at its nodes' connections instead.
    expect(Object.keys(after.nycNodes)).toHaveLength(PER_SITE);
    expect(delta(before.nycNodes, after.nycNodes)).toEqual(Object.fromEntries(Object.keys(after.nycNodes).map((k) => [k, 0])));
    expect(delta(before.edgeNodes, after.edgeNodes)).toEqual(Object.fromEntries(Object.keys(after.edgeNodes).map((k) => [k, 0])));
  });

  it('the same counters move for a request to the main collective (they do count)', async () => {
    const before = { edge: await crossSiteIn('edge'), nycNodes: await deliveredToNodes('nyc') };
    await mco(['rpc', 'rpcutil', 'ping']);
    const after = { edge: await crossSiteIn('edge'), nycNodes: await deliveredToNodes('nyc') };
    // Twelve nodes are above the direct addressing threshold: a discovery broadcast, then a request broadcast.
    expect(delta(before.edge, after.edge)['edge-1']).toBeGreaterThanOrEqual(2);
    for (const n of Object.values(delta(before.nycNodes, after.nycNodes))) expect(n).toBe(2);
  });

  it('mco inventory --list-collectives counts the nodes in each collective', async () => {
    const r = await mco(['inventory', '--list-collectives']);
    const rows = r.stdout
      .split('\n')
      .map((l) => /^ {3}(\S+)\s+(\d+)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual([
      ['ams', PER_SITE],
      ['edge', PER_SITE],
      ['lon', PER_SITE],
      ['nyc', PER_SITE],
      ['mcollective', SITES.length * PER_SITE],
    ]);
    expect(r.stdout).toMatch(/^ +Total nodes: 12$/m);
    const json = parseAs<{ collectives: Record<string, number>; members: Record<string, string[]> }>(
      (await mco(['inventory', '--lc', '-T', 'lon', '--json'])).stdout,
    );
    expect(json.collectives).toEqual({ lon: PER_SITE, mcollective: PER_SITE });
    expect(json.members.lon).toEqual(nodesOf('lon'));
  });
});
