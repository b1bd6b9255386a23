// Data plugins in -S against real daemons (`mco server run`) managing real masterless Puppet: puppet() finds the
// disabled node, resource() the one whose last run failed, fact() and agent() the rest; the client refuses what no
// DDL declares before sending anything, and a raw filter naming an unknown plugin matches nothing and harms nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyFilter } from '../../../src/filter/index.js';
import { newRequestId } from '../../../src/protocol/index.js';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { clientConfigFor, runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { craftRequest, unsignedFrame } from '../../helpers/requests.js';
import { parseAs, type DaemonStatsJson, type ReportJson } from '../../helpers/json.js';
import { startDaemon, type RunningDaemon } from '../core/daemon.js';
import { gitRemote, masterlessNodes, requirePuppet, waitFor, waitForQuiet, writeFleet, type PuppetNode } from './nodes.js';

const scratch = scratchDir('troupe-puppet-data-');
const [WEB1, WEB2, DB1] = ['web1.example.net', 'web2.example.net', 'db1.example.net'] as const;
const FACTS: Record<string, string> = {
  [WEB1]: 'role: web\nos:\n  family: Debian\n',
  [WEB2]: 'role: web\nos:\n  family: Debian\n',
  [DB1]: 'role: db\nos:\n  family: RedHat\n',
};
let broker: LocalNatsServer;
let nodes: PuppetNode[] = [];
const daemons: RunningDaemon[] = [];
let client: string;
let nc: NatsConnection | undefined;
let sim: RunningSim | undefined;
/** Stands in for web1's Puppet agent daemon: daemon_present is read from the pidfile's live PID, as MCollective does. */
let standIn: ChildProcess | undefined;

// Every node applies the same code; the exec fails only where its marker file exists (db1).
const SITE = `file { "\${settings::vardir}/deployed.txt": content => "v1\\n" }
exec { 'fails-where-marked':
  command => '/bin/false',
  onlyif  => "/usr/bin/test -e \${settings::vardir}/fail-here",
}
`;

beforeAll(async () => {
  requirePuppet();
  const repo = gitRemote(scratch.dir);
  repo.commit('main', { 'manifests/site.pp': SITE }, 'v1');
  nodes = masterlessNodes(scratch.dir, repo.remote, [WEB1, WEB2, DB1]);
  mkdirSync(nodes[2]!.vardir, { recursive: true });
  writeFileSync(join(nodes[2]!.vardir, 'fail-here'), '');
  broker = await startNatsServer();
  for (const node of nodes) {
    const logFile = join(node.dir, 'daemon.log');
    const config = scratch.config(`${node.identity}.cfg`, {
      identity: node.identity,
      middleware_hosts: broker.url,
      securityprovider: 'insecure',
      'plugin.actionpolicy.allow_unconfigured': 1,
      'plugin.yaml': scratch.file(`${node.identity}.yaml`, FACTS[node.identity]!),
      classesfile: join(node.dir, 'classes.txt'),
      logfile: logFile,
      loglevel: 'info',
      ...node.settings,
    });
    daemons.push(await startDaemon(config, logFile));
  }
  client = clientConfigFor(broker.url, { discovery_timeout: 5 });

  // A real run on every node: web1 and web2 apply cleanly, db1's exec fails.
  const run = await mco('puppet', 'runonce', '--force', '--wait', '--json');
  expect(run.code, run.stdout + run.stderr).not.toBeNull();
  await waitFor('a completed run on every node', async () => {
    const r = await mco('rpc', 'puppet', 'last_run_summary', '--json');
    const replies = parseAs<ReportJson>(r.stdout).replies;
    return replies.length === 3 && replies.every((x) => Number(x.data.lastrun) > 0);
  });
  const disabled = await mco('puppet', 'disable', 'kernel upgrade', '-I', WEB2);
  expect(disabled.code, disabled.stdout + disabled.stderr).toBe(0);

  mkdirSync(join(nodes[0]!.dir, 'run'), { recursive: true });
  standIn = spawn(process.execPath, ['-e', "process.on('SIGUSR1', () => {}); setInterval(() => {}, 1 << 30)"], { stdio: 'ignore' });
  writeFileSync(nodes[0]!.settings['plugin.puppet.pidfile']!, String(standIn.pid));
}, 240_000);

afterAll(async () => {
  await nc?.close();
  await sim?.stop();
  standIn?.kill('SIGKILL');
  await waitForQuiet(nodes);
  await Promise.all(daemons.map((d) => d.stop()));
  await broker?.stop();
  scratch.cleanup();
});

function mco(...args: string[]) {
  return runMco([...args, '-c', client], { timeoutMs: 120_000 });
}

/** The identities that answer `mco rpc rpcutil ping -S <select>`. */
async function pinged(select: string): Promise<string[]> {
  const r = await mco('rpc', 'rpcutil', 'ping', '-S', select, '--json');
  expect([0, 1], `${select}\n${r.stdout}\n${r.stderr}`).toContain(r.code);
  if (r.code === 1) return [];
  return parseAs<ReportJson>(r.stdout)
    .replies.map((x) => x.sender)
    .sort();
}

describe('data plugins in -S, evaluated by real daemons on real Puppet state', { timeout: 120_000 }, () => {
  it('puppet().enabled=false hits exactly the disabled node; resource().failed>0 the one whose last run failed', async () => {
    expect(await pinged('puppet().enabled=false')).toEqual([WEB2]);
    expect(await pinged('resource().failed>0')).toEqual([DB1]);
    expect(await pinged('resource().failed=0 and resource().total>0')).toEqual([WEB1, WEB2].sort());
  });

  it('combine with facts and classes, and negate', async () => {
    const managed = `resource('file[${join(nodes[0]!.vardir, 'deployed.txt')}]').managed=true`;
    const cases: Array<[string, string[]]> = [
      ['puppet().enabled=false and role=web', [WEB2]],
      ['puppet().enabled=true and role=web', [WEB1]],
      ["not puppet().disable_message='kernel upgrade'", [DB1, WEB1]],
      ["fact('os.family').value=Debian", [WEB1, WEB2]],
      ["fact('os.family').value=~/^red/i or resource().failed_resources>0", [DB1]],
      ["agent('puppet').present=true and puppet().since_lastrun>=0", [DB1, WEB1, WEB2]],
      [managed, [WEB1]],
    ];
    const found = await Promise.all(cases.map(([select]) => pinged(select)));
    expect(Object.fromEntries(cases.map(([select], i) => [select, found[i]]))).toEqual(
      Object.fromEntries(cases.map(([select, expected]) => [select, [...expected].sort()])),
    );
  });

  it('the client refuses an unknown field, plugin or argument with a caret, and sends nothing', async () => {
    const r = await mco('rpc', 'rpcutil', 'ping', '-S', 'role=web and puppet().enabld=false');
    expect(r.code).not.toBe(0);
    // The CLI indents the excerpt; the caret sits under the misspelt field.
    expect(r.stderr).toMatch(/^( *)role=web and puppet\(\)\.enabld=false\n\1 {22}\^{6}\n/m);
    expect(r.stderr).toContain("data plugin 'puppet' has no field 'enabld'");
    const unknown = await mco('rpc', 'rpcutil', 'ping', '-S', 'pupet().enabled=false');
    expect(unknown.stderr).toContain("unknown data plugin 'pupet'");
    const registry = await mco('rpc', 'rpcutil', 'ping', '-S', 'puppet().enabled=false', '--dm', 'registry');
    expect(registry.code).not.toBe(0);
    expect(registry.stderr).toContain('registry discovery cannot evaluate data plugin calls');
  });

  it("mco puppet runall -S 'puppet().idling=true' runs only the idle node", async () => {
    const r = await mco('puppet', 'runall', '2', '-S', 'puppet().idling=true', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = parseAs<{ enabled: string[]; disabled: string[]; runs: Array<{ host: string; result: string }> }>(r.stdout);
    expect(report.enabled).toEqual([WEB1]);
    expect(report.runs.map((x) => [x.host, x.result])).toEqual([[WEB1, 'finished']]);
  });

  it('simulated nodes answer puppet() and resource() from the Puppet state their settings name', async () => {
    // Three virtual nodes reading the same Puppet trees as the daemons (read only: nothing here starts a run).
    const virtual = nodes.map((n) => ({ identity: `sim-${n.identity}`, settings: n.settings }));
    sim = await startSim(['--fleet', writeFleet(scratch.dir, virtual), '--server', broker.url]);
    const [disabled, failed] = await Promise.all([pinged('puppet().enabled=false'), pinged('resource().failed>0')]);
    expect(disabled).toEqual([`sim-${WEB2}`, WEB2]);
    expect(failed).toEqual([DB1, `sim-${DB1}`].sort());
    await sim.stop();
    sim = undefined;
  });

  it('a raw filter naming an unknown plugin does not match, even negated, and the daemon keeps answering', async () => {
    nc = await connect({ servers: broker.url.replace('nats://', '') });
    const replyTo = `mcollective.reply.attacker.0001.${newRequestId()}`;
    const replies: Uint8Array[] = [];
    const sub = nc.subscribe(replyTo, { callback: (_e, m) => replies.push(m.data) });
    await nc.flush();
    for (const compound of ['nosuch().x=1', 'not nosuch().x=1', 'not puppet().nofield=1', "fact('a b; rm -rf /').value=1"]) {
      const req = craftRequest('user=mallory', { sender: 'attacker.0001', filter: { ...emptyFilter(), compound: [compound] } });
      nc.publish(`mcollective.node.${WEB1}`, unsignedFrame(req, replyTo, 'attacker.0001'));
      nc.publish('mcollective.broadcast.agent.rpcutil', unsignedFrame(req, replyTo, 'attacker.0001'));
    }
    await nc.flush();
    const stats = await waitFor('the daemon to count the refused filters', async () => {
      const r = await mco('rpc', 'rpcutil', 'daemon_stats', '-I', WEB1, '--json');
      const s = parseAs<DaemonStatsJson>(r.stdout).replies[0]?.data;
      return s && (s.rejected.unknown_data ?? 0) >= 8 ? s : undefined;
    });
    // Each of the four sent to the node directly and by broadcast.
    expect(stats.rejected.unknown_data).toBe(8);
    sub.unsubscribe();
    expect(replies).toHaveLength(0);
    for (const d of daemons) expect(d.child.exitCode).toBeNull();
    expect(await pinged('puppet().enabled=false')).toEqual([WEB2]);
  });
});
