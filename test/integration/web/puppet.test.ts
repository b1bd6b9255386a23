// The Puppet page's fleet overview over the API, against simulated nodes whose puppet agent reads real Puppet trees
// (puppet.conf, last_run_summary.yaml, the disable lock): one sweep of `puppet status` and one of
// `puppet last_run_summary`, so the page can count applying, idle, disabled and failed last runs and show the
// resources changed and failed and when each node last ran.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { scratchDir, startSim, type RunningSim, type Scratch } from '../../helpers/mco.js';
import { waitFor } from '../../helpers/wait.js';
import { waitForRegistry } from '../registry/registry.js';
import { loadConfig } from '../../../src/config/index.js';
import { startWebServer, type WebServer } from '../../../src/web/server.js';
import { hashPassword, saveUsers } from '../../../src/web/users.js';
import { puppetNode, requirePuppet, type PuppetNode } from '../puppet/nodes.js';
import { WebClient } from './http.js';

let broker: LocalNatsServer;
let sim: RunningSim | undefined;
let scratch: Scratch;
let server: WebServer | undefined;
let nodes: PuppetNode[] = [];
const LAST_RUN = Math.floor(Date.now() / 1000) - 600;

function lastRunSummary(node: PuppetNode, r: { failed: number; changed: number; lastRun: number }): void {
  mkdirSync(join(node.vardir, 'public'), { recursive: true });
  writeFileSync(
    join(node.vardir, 'public', 'last_run_summary.yaml'),
    [
      '---',
      'version: {config: 1700000000, puppet: 7.23.0}',
      `resources: {changed: ${r.changed}, corrective_change: 0, failed: ${r.failed}, failed_to_restart: 0, out_of_sync: ${r.changed + r.failed}, restarted: 0, scheduled: 0, skipped: 0, total: 12}`,
      `time: {config_retrieval: 0.5, total: 1.5, last_run: ${r.lastRun}}`,
      `changes: {total: ${r.changed}}`,
      `events: {failure: ${r.failed}, success: ${r.changed}, total: ${r.failed + r.changed}}`,
      '',
    ].join('\n'),
  );
}

/** Reads a job's stream to its end: its rows by identity. */
async function rowsOf(c: WebClient, id: string): Promise<Map<string, { statuscode: number; data: Record<string, unknown> }>> {
  const rows = new Map<string, { statuscode: number; data: Record<string, unknown> }>();
  await c.events(`/api/jobs/${id}/events`, (e, d) => {
    if (e === 'replies')
      for (const r of d as Array<{ identity: string; statuscode: number; data: Record<string, unknown> }>) rows.set(r.identity, r);
  });
  return rows;
}

beforeAll(async () => {
  requirePuppet();
  broker = await startNatsServer({ jetstream: true });
  scratch = scratchDir('troupe-web-puppet-');
  nodes = ['pa.example.net', 'pb.example.net', 'pc.example.net'].map((identity) => puppetNode(scratch.dir, identity));
  lastRunSummary(nodes[0]!, { failed: 0, changed: 3, lastRun: LAST_RUN });
  lastRunSummary(nodes[1]!, { failed: 2, changed: 1, lastRun: LAST_RUN - 60 });
  // pc has never run Puppet: no summary at all.
  const fleet = scratch.file(
    'fleet.json',
    JSON.stringify({ nodes: nodes.map((n) => ({ identity: n.identity, facts: { role: 'puppet-web' }, settings: n.settings })) }),
  );
  const nodeCfg = scratch.config('node.cfg', {
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    registration_splay: 0,
  });
  sim = await startSim(['--fleet', fleet, '--server', broker.url, '-c', nodeCfg], 60_000);
  await waitForRegistry(broker.url, nodes.length, 30_000);
  const clientCfg = scratch.config('client.cfg', { middleware_hosts: broker.url, securityprovider: 'insecure', discovery_timeout: 1 });
  scratch.file('web-roles.yaml', 'roles:\n  ops:\n    actions: ["puppet.*"]\n  statusonly:\n    actions: ["puppet.status"]\n');
  saveUsers(`${scratch.dir}/web-users.yaml`, {
    users: {
      alice: { hash: await hashPassword('alice-password'), roles: ['ops'] },
      sam: { hash: await hashPassword('sam-password'), roles: ['statusonly'] },
    },
  });
  server = await startWebServer({ config: loadConfig(clientCfg), configFile: clientCfg, insecureHttp: true, port: 0 });
  await waitFor('the node index', () => server!.index.size === nodes.length, 30_000);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await sim?.stop();
  await broker?.stop();
  scratch?.cleanup();
});

describe('the Puppet overview', () => {
  it('sweeps puppet status and puppet last_run_summary: failed last runs, resources changed and failed, the time of the last run', async () => {
    const c = new WebClient(server!.url);
    expect((await c.login('alice', 'alice-password')).status).toBe(200);
    const overview = await c.get<{ id: string; summaryId: string | null }>('/api/puppet/overview?filter=role%3Dpuppet-web');
    expect(overview.status).toBe(202);
    expect(overview.body.summaryId).toEqual(expect.any(String));
    const [status, summary] = [await rowsOf(c, overview.body.id), await rowsOf(c, overview.body.summaryId!)];
    expect((await c.get<{ action: string }>(`/api/jobs/${overview.body.id}`)).body.action).toBe('status');
    expect((await c.get<{ action: string }>(`/api/jobs/${overview.body.summaryId}`)).body.action).toBe('last_run_summary');
    expect([...status.keys()].sort()).toEqual(nodes.map((n) => n.identity));
    expect([...status.values()].every((r) => r.statuscode === 0 && r.data.enabled === true && r.data.applying === false)).toBe(true);
    const s = (identity: string) => summary.get(identity)!.data;
    expect(s('pa.example.net')).toMatchObject({ last_run_failed: false, failed_resources: 0, changed_resources: 3, lastrun: LAST_RUN });
    expect(s('pb.example.net')).toMatchObject({ last_run_failed: true, failed_resources: 2, changed_resources: 1, lastrun: LAST_RUN - 60 });
    expect(s('pc.example.net')).toMatchObject({ last_run_status: 'none', lastrun: 0 });
  });

  it('a role that may not run last_run_summary gets the status sweep alone', async () => {
    const c = new WebClient(server!.url);
    expect((await c.login('sam', 'sam-password')).status).toBe(200);
    const overview = await c.get<{ id: string; summaryId: string | null }>('/api/puppet/overview?filter=role%3Dpuppet-web');
    expect([overview.status, overview.body.summaryId]).toEqual([202, null]);
    expect((await rowsOf(c, overview.body.id)).size).toBe(nodes.length);
  });
});
