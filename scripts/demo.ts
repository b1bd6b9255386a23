// `npm run demo`: a private broker on a free loopback port, a simulated fleet and one real node daemon,
// then the commands an operator types first. Everything it starts is stopped and removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTroupeBroker } from '../src/devkit/broker.js';
import { configText, createDevPki } from '../src/devkit/pki.js';
import { packageRoot } from '../src/protocol/index.js';
import { generateFleet } from '../src/server/fleet.js';

const MCO = join(packageRoot(), 'bin', 'mco.js');
const dir = mkdtempSync(join(tmpdir(), 'troupe-demo-'));
const children: ChildProcess[] = [];

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function startBackground(args: string[], readyText: string): Promise<ChildProcess> {
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
  const { server: broker, configFile } = await startTroupeBroker(pki);
  console.log(`private NATS broker on ${broker.url} (${configFile}): mutual TLS, and each certificate may use only its own subjects`);
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
    console.log('\nTry your own: every command above works against this fleet while it runs; see README.md.');
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
