// The broker killed and restarted on the same port while a simulated fleet and a real daemon run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '../../helpers/broker.js';
import { parseAs, type ReportJson } from '../../helpers/json.js';
import { runMco, scratchDir, startSim, type RunningSim } from '../../helpers/mco.js';
import { startDaemon, type RunningDaemon } from './daemon.js';
import { clientConfig } from './fleet.js';
import { waitFor } from '../../helpers/wait.js';

const SIM_NODES = 20;
let broker: LocalNatsServer;
let sim: RunningSim;
let daemon: RunningDaemon;
let config: string;
const scratch = scratchDir();
const logFile = `${scratch.dir}/daemon.log`;

beforeAll(async () => {
  broker = await startNatsServer();
  const serverCfg = scratch.file(
    'server.cfg',
    [
      'identity = survivor.example.net',
      `middleware_hosts = ${broker.url}`,
      'securityprovider = insecure',
      `classesfile = ${scratch.dir}/classes.txt`,
      `logfile = ${logFile}`,
      'loglevel = info',
      '',
    ].join('\n'),
  );
  config = clientConfig(scratch, broker.url, { 'plugin.nats.connect_timeout': 1 });
  [daemon, sim] = await Promise.all([startDaemon(serverCfg, logFile), startSim(['--nodes', String(SIM_NODES), '--server', broker.url])]);
});

afterAll(async () => {
  await Promise.all([daemon?.stop(), sim?.stop()]);
  await broker?.stop();
  scratch.cleanup();
});

const pingCount = async () => {
  const r = await runMco(['ping', '--config', config, '--expect', String(SIM_NODES + 1), '-t', '1']);
  return r.code === 0 ? Number(/^(\d+) replies/m.exec(r.stdout)?.[1] ?? 0) : 0;
};

describe('broker restart', () => {
  it('daemon and simulated nodes reconnect, re-subscribe and answer within seconds', async () => {
    expect(await pingCount()).toBe(SIM_NODES + 1);

    await broker.kill();
    const down = await runMco(['ping', '--config', config]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^mco: cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: /);
    expect(down.stderr).not.toMatch(/\n\s+at /);
    await daemon.waitForLog((l) => l.msg === 'broker disconnected');

    await broker.start();
    const restarted = Date.now();
    let count = 0;
    while (Date.now() - restarted < 20_000 && (count = await pingCount()) < SIM_NODES + 1) await new Promise((r) => setTimeout(r, 200));
    const recoveryMs = Date.now() - restarted;
    expect(count).toBe(SIM_NODES + 1);
    expect(recoveryMs).toBeLessThan(15_000);
    process.stdout.write(`fleet answered again ${recoveryMs} ms after the broker came back\n`);

    await daemon.waitForLog((l) => l.msg === 'broker reconnected');
    expect(daemon.log().some((l) => l.msg === 'broker disconnected')).toBe(true);
    expect(daemon.child.exitCode).toBeNull();
  });

  it('requests work normally after the restart: filtered rpc with discovery', async () => {
    const r = await runMco([
      'rpc',
      'rpcutil',
      'ping',
      '-I',
      '/^node-0000[1-5]/',
      '-I',
      'survivor.example.net',
      '--json',
      '--config',
      config,
    ]);
    expect(r.code).toBe(0);
    expect(parseAs<ReportJson>(r.stdout).request_stats).toMatchObject({ discovered: 6, responses: 6 });
  });

  it('SIGTERM while the broker is down still stops the daemon and the sim, exit 0', async () => {
    const disconnects = () => daemon.log().filter((l) => l.msg === 'broker disconnected').length;
    const before = disconnects();
    await broker.kill();
    await waitFor('the daemon to see the broker go', () => disconnects() > before, 10_000, 25);
    const started = Date.now();
    const [daemonCode] = await Promise.all([daemon.stop('SIGTERM'), sim.stop()]);
    expect(daemonCode).toBe(0);
    expect(sim.child.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(9000);
  });
});
