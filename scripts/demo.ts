// `npm run demo`: a private broker on a free loopback port, a simulated fleet and one real node daemon,
// then the commands an operator types first. Everything it starts is stopped and removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalNatsServer } from '../src/devkit/nats-server.js';
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
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
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
  const broker = await new LocalNatsServer().start();
  console.log(`troupe demo: private NATS broker on ${broker.url}`);
  try {
    const fleet = generateFleet(11, 'demo');
    const fleetFile = file('fleet.json', JSON.stringify(fleet, null, 2));
    await startBackground(['sim', '--fleet', fleetFile, '--server', broker.url], 'sim ready');
    console.log(`started a simulated fleet of ${fleet.nodes.length} nodes (mco sim --fleet ${fleetFile})`);

    const facts = file('facts.yaml', ['role: db', 'site: ams1', 'environment: production', 'os:', '  family: Debian', '  name: Debian', '  release: { full: "12.11", major: "12" }', 'processors: { count: 8 }', ''].join('\n'));
    const classes = file('classes.txt', 'base\nrole::db\npostgresql\n');
    const serverCfg = file('server.cfg', [`identity = db1.demo.example.net`, `middleware_hosts = ${broker.url}`, `plugin.yaml = ${facts}`, `classesfile = ${classes}`, ''].join('\n'));
    await startBackground(['server', 'run', '--config', serverCfg], 'node daemon ready');
    console.log(`started a real node daemon: mco server run --config ${serverCfg}`);
    const clientCfg = file('client.cfg', `middleware_hosts = ${broker.url}\ndiscovery_timeout = 2\n`);

    await mco(['ping'], clientCfg);
    await mco(['rpc', 'rpcutil', 'get_fact', 'fact=os.name', '-F', 'role=web', '-v'], clientCfg);
    await mco(['rpc', 'rpcutil', 'get_fact', 'fact=site', '-S', 'role=db or (os.family=RedHat and processors.count>=8)'], clientCfg);
    await mco(['facts', 'os.family'], clientCfg);
    await mco(['find', '-C', 'postgresql'], clientCfg);
    await mco(['inventory', 'db1.demo.example.net'], clientCfg);
    console.log('\nTry your own: every command above works against this fleet while it runs; see README.md.');
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
