// `npm run demo`: a private broker on a free loopback port, a simulated fleet and one real node daemon,
// then the commands an operator types first. Everything it starts is stopped and removed at the end, unless
// `--keep` (`npm run demo -- --keep`): then the fleet runs on, and the demo prints what to try and how to stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startTroupeBroker } from '../src/devkit/broker.js';
import { configText, createDevPki } from '../src/devkit/pki.js';
import { packageRoot } from '../src/protocol/index.js';
import { generateFleet } from '../src/server/fleet.js';

const MCO = join(packageRoot(), 'bin', 'mco.js');
const { values: flags } = parseArgs({ options: { keep: { type: 'boolean', default: false } } });
const keep = flags.keep;
const dir = mkdtempSync(join(tmpdir(), 'troupe-demo-'));
const children: ChildProcess[] = [];

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function startBackground(args: string[], readyText: string): Promise<ChildProcess> {
  return keep ? startDetached(args, readyText) : startAttached(args, readyText);
}

function startAttached(args: string[], readyText: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MCO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(readyText)) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mco ${args[0]} exited (${code}): ${seen.slice(-800)}`)));
  });
}

/** For --keep: a process group of its own writing to a log file, so it runs on after the demo exits and no pipe breaks. */
function startDetached(args: string[], readyText: string): Promise<ChildProcess> {
  const log = join(dir, `${args[0]}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [MCO, ...args], { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  children.push(child);
  return new Promise((resolve, reject) => {
    // The log is a file: read it until the ready line is there.
    const poll = setInterval(() => {
      if (readFileSync(log, 'utf8').includes(readyText)) {
        clearInterval(poll);
        child.removeAllListeners('exit');
        child.unref();
        resolve(child);
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`mco ${args[0]} exited (${code}): ${readFileSync(log, 'utf8').slice(-800)}`));
    });
  });
}

/** The shell commands to try against the fleet, and the file that stops it. */
function keptFleet(clientCfg: string, daemonIdentity: string, brokerPid: number | undefined): void {
  const nodes = children.map((c) => c.pid).filter((p): p is number => p !== undefined);
  const wait = (ps: number[]) => `for p in ${ps.join(' ')}; do while kill -0 $p 2>/dev/null; do sleep 0.2; done; done`;
  const script = [
    '#!/bin/sh',
    "# Stops the troupe demo's fleet (the nodes first, so they leave the broker cleanly) and removes its files.",
    `kill ${nodes.join(' ')} 2>/dev/null; ${wait(nodes)}`,
    ...(brokerPid === undefined ? [] : [`kill ${brokerPid} 2>/dev/null; ${wait([brokerPid])}`]),
    `rm -rf '${dir}'`,
    '',
  ];
  const pids = [...nodes, ...(brokerPid === undefined ? [] : [brokerPid])];
  const stop = file('stop.sh', script.join('\n'));
  const lines = [
    '',
    `The fleet is still running: broker, ${children.length === 2 ? 'simulated fleet and node daemon' : 'its processes'} (pids ${pids.join(' ')}); logs in ${dir}.`,
    'Try, from this checkout (`npx mco` runs bin/mco.js; after `npm link`, plain `mco` does):',
    `  export TROUPE_CONFIG=${clientCfg}`,
    '  npx mco ping',
    '  npx mco rpc rpcutil get_fact fact=os.name -F role=web -v',
    '  npx mco facts os.family',
    `  npx mco inventory ${daemonIdentity}`,
    `  npx mco rpc rpcutil daemon_stats -I ${daemonIdentity}`,
    `Stop it and remove its files: sh ${stop}`,
  ];
  console.log(lines.join('\n'));
}

function mco(args: string[], config: string): Promise<number> {
  process.stdout.write(`\n\u001b[1m$ mco ${args.map((a) => (/[\s()!'"]/.test(a) ? `'${a}'` : a)).join(' ')}\u001b[0m\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MCO, ...args, '--config', config], { stdio: 'inherit' });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  // Security is on by default: a throwaway CA issues the broker's, every node's and the operator's certificates.
  const fleet = generateFleet(11, 'demo');
  const daemonIdentity = 'db1.demo.example.net';
  const pki = createDevPki({
    dir: join(dir, 'pki'),
    nodes: [daemonIdentity, ...fleet.nodes.map((n) => n.identity)],
    clients: ['ops.troupe'],
    broker: true,
  });
  console.log(`troupe demo: throwaway CA in ${pki.caDir}; certificates for the broker, ${fleet.nodes.length + 1} nodes and ops.troupe`);
  // The broker's configuration is what `mco broker config` writes: one user per certificate, each with its own subjects.
  const { server: broker, configFile } = await startTroupeBroker(pki, keep ? { detachedLogFile: join(dir, 'nats-server.log') } : {});
  console.log(`private NATS broker on ${broker.url} (${configFile}): mutual TLS, and each certificate may use only its own subjects`);
  let kept = false;
  try {
    const fleetFile = file('fleet.json', JSON.stringify(fleet, null, 2));
    const simCfg = file('sim.cfg', configText({ middleware_hosts: broker.url, ...pki.serverConfig(), ...pki.fleetTlsConfig() }));
    await startBackground(['sim', '--fleet', fleetFile, '--config', simCfg], 'sim ready');
    console.log(`started a simulated fleet of ${fleet.nodes.length} nodes (mco sim --fleet ${fleetFile})`);

    const facts = file(
      'facts.yaml',
      [
        'role: db',
        'site: ams1',
        'environment: production',
        'os:',
        '  family: Debian',
        '  name: Debian',
        '  release: { full: "12.11", major: "12" }',
        'processors: { count: 8 }',
        '',
      ].join('\n'),
    );
    const classes = file('classes.txt', 'base\nrole::db\npostgresql\n');
    const serverCfg = file(
      'server.cfg',
      configText({
        identity: daemonIdentity,
        middleware_hosts: broker.url,
        'plugin.yaml': facts,
        classesfile: classes,
        ...pki.serverConfig(),
        ...pki.tlsConfig(daemonIdentity),
      }),
    );
    await startBackground(['server', 'run', '--config', serverCfg], 'node daemon ready');
    console.log(`started a real node daemon: mco server run --config ${serverCfg}`);
    const clientCfg = file(
      'client.cfg',
      configText({ middleware_hosts: broker.url, discovery_timeout: 2, ...pki.clientConfig('ops.troupe'), ...pki.tlsConfig('ops.troupe') }),
    );
    console.log(
      `every request below is signed by ops.troupe and verified by each node; replies come back hashed over the mutual-TLS connection`,
    );

    await mco(['ping'], clientCfg);
    await mco(['rpc', 'rpcutil', 'get_fact', 'fact=os.name', '-F', 'role=web', '-v'], clientCfg);
    await mco(['rpc', 'rpcutil', 'get_fact', 'fact=site', '-S', 'role=db or (os.family=RedHat and processors.count>=8)'], clientCfg);
    await mco(['facts', 'os.family'], clientCfg);
    await mco(['find', '-C', 'postgresql'], clientCfg);
    await mco(['inventory', daemonIdentity], clientCfg);
    console.log("\nAn unsigned request over the operator's broker connection is refused by every node:");
    const unsignedCfg = file(
      'unsigned.cfg',
      configText({ middleware_hosts: broker.url, securityprovider: 'insecure', ...pki.tlsConfig('ops.troupe') }),
    );
    await mco(['rpc', 'rpcutil', 'ping', '-I', daemonIdentity, '-t', '2'], unsignedCfg);
    console.log("\nA node's certificate cannot send requests: the broker refuses to carry them:");
    const asNodeCfg = file(
      'as-node.cfg',
      configText({ middleware_hosts: broker.url, ...pki.clientConfig(daemonIdentity), ...pki.tlsConfig(daemonIdentity) }),
    );
    await mco(['rpc', 'rpcutil', 'ping', '-I', daemonIdentity, '-t', '2'], asNodeCfg);
    await mco(['rpc', 'rpcutil', 'daemon_stats', '-I', daemonIdentity], clientCfg);
    if (keep) {
      broker.release();
      keptFleet(clientCfg, daemonIdentity, broker.pid);
      kept = true;
    }
  } finally {
    if (!kept) await stopAll(broker);
  }
  if (!kept)
    console.log(
      '\nThe demo has stopped its fleet and removed its files. To keep it running and try commands yourself: npm run demo -- --keep',
    );
}

async function stopAll(broker: { stop(): Promise<void> }): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
