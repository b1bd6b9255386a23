// States real Puppet produces on demand, observed through mco: a run holding its lock ("applying a catalog",
// made by an agent run stuck on a server that accepts and never answers) and a daemonised agent that runonce
// signals with USR1 instead of starting a run of its own.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/broker.js';
import { runMco, scratchDir } from '../../helpers/mco.js';
import { agentNodes, alive, mcoJson, requirePuppet, waitFor, waitForRuns, PuppetFleet, type PuppetNode } from './nodes.js';
import { type ReportJson, parseAs } from '../../helpers/json.js';
import { type PuppetStatus } from './nodes.js';

const fleet = new PuppetFleet();
let client: string;
let stuck: PuppetNode;
let daemonNode: PuppetNode;
let daemonPid: number | undefined;
let hanging: Server | undefined;
const sockets = new Set<Socket>();
const scratch = scratchDir('troupe-puppet-states-');

beforeAll(async () => {
  requirePuppet();
  [stuck, daemonNode] = (await agentNodes(scratch.dir, [
    { identity: 'stuck.example.net', settings: { 'plugin.puppet.allow_server_override': 'true' } },
    { identity: 'daemon.example.net' },
  ])) as [PuppetNode, PuppetNode];
  await fleet.start(scratch.dir, [stuck, daemonNode]);
  client = fleet.client;
});

afterAll(async () => {
  if (daemonPid && alive(daemonPid)) process.kill(daemonPid, 'SIGTERM');
  closeHanging();
  await fleet.stop();
  if (daemonPid)
    await waitFor('the Puppet daemon to stop', () => !alive(daemonPid!), 15_000).catch(() => process.kill(daemonPid!, 'SIGKILL'));
  scratch.cleanup();
});

function closeHanging(): void {
  hanging?.close();
  for (const s of sockets) s.destroy();
  hanging = undefined;
}

const mco = (...args: string[]) => runMco([...args, '-c', client], { timeoutMs: 60_000 });

async function statusOf(identity: string): Promise<PuppetStatus> {
  const json = await mcoJson<ReportJson<PuppetStatus>>(['puppet', 'status', '--json', '-c', client, '-I', identity]);
  return json.replies[0]!.data;
}

describe('Puppet states through mco', () => {
  it('shows a run holding the lock as applying, and refuses to start another', async () => {
    hanging = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => hanging!.listen(port, '127.0.0.1', resolve));
    const target = ['-I', stuck.identity];

    const started = await mco('puppet', 'runonce', '--force', '--server', `127.0.0.1:${port}`, ...target);
    expect(started.code, started.stdout + started.stderr).toBe(0);
    const lockfile = join(stuck.vardir, 'state', 'agent_catalog_run.lock');
    const status = await waitFor(
      'the run to take its lock',
      async () => {
        const s = await statusOf(stuck.identity);
        return s.applying ? s : undefined;
      },
      60_000,
    );
    expect(status).toMatchObject({ applying: true, status: 'applying a catalog', idling: false, daemon_present: false });
    const pid = Number(readFileSync(lockfile, 'utf8'));
    expect(alive(pid)).toBe(true);

    const refused = await mco('puppet', 'runonce', '--force', ...target);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('Puppet is currently applying a catalog, cannot run now');
    const count = await mco('puppet', 'count', ...target);
    expect(count.stdout).toContain('Nodes currently doing puppet runs: 1');

    // Let the run fail: it drops its lock and records the failed run.
    closeHanging();
    await waitFor('the run to end', async () => !(await statusOf(stuck.identity)).applying, 60_000);
    expect(alive(pid)).toBe(false);
  }, 120_000);

  it('signals an idle daemon instead of starting a run', async () => {
    const daemon = spawnSync(
      'puppet',
      [
        'agent',
        '--config',
        daemonNode.conf,
        '--daemonize',
        '--runinterval',
        '3600',
        '--no-splay',
        '--logdest',
        join(daemonNode.dir, 'daemon.log'),
      ],
      { encoding: 'utf8' },
    );
    expect(daemon.status, daemon.stderr).toBe(0);
    const pidfile = join(daemonNode.dir, 'run', 'agent.pid');
    daemonPid = await waitFor('the daemon pidfile', () => Number(readFileSync(pidfile, 'utf8')) || undefined, 60_000);
    // The daemon runs once at start; wait for that run to be over.
    const idle = await waitFor(
      'the daemon to idle after its first run',
      async () => {
        const s = await statusOf(daemonNode.identity);
        return s.idling && s.lastrun > 0 ? s : undefined;
      },
      90_000,
    );
    expect(idle).toMatchObject({ daemon_present: true, idling: true, status: 'idling' });
    const count = await mco('puppet', 'count', '-I', daemonNode.identity);
    expect(count.stdout).toMatch(/Nodes with daemons started: 1\n.*\n\s+Daemons started but idling: 1/);

    const withOptions = await mco('puppet', 'runonce', '--noop', '-I', daemonNode.identity);
    expect(withOptions.code).toBe(2);
    expect(withOptions.stdout).toContain('Cannot specify any custom puppet options when the daemon is running');

    const r = await mco('puppet', '-v', 'runonce', '-I', daemonNode.identity);
    expect(r.code, r.stderr).toBe(0);
    const m = /^daemon\.example\.net +: OK\n {4}\{:summary=>"Signalled the running Puppet Daemon", :initiated_at=>(\d+)\}$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    // Nothing was started: no troupe-started process holds the runonce lock, the daemon does the run (USR1).
    const lock = parseAs<Record<string, unknown>>(readFileSync(join(daemonNode.vardir, 'state', 'troupe_runonce.lock'), 'utf8'));
    expect(lock).toMatchObject({ method: 'signal', pid: daemonPid });
    await waitForRuns(client, { [daemonNode.identity]: Number(m![1]) }, 90_000);
    expect(readFileSync(join(daemonNode.dir, 'daemon.log'), 'utf8')).toContain('Caught USR1; storing reload');
  }, 200_000);
});
