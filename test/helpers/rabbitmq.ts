// RabbitMQ for the tests, never the machine's broker on 5672: a vhost of its own per test file on one private node
// shared by the whole run (started by the first file that needs it, stopped and removed by the global teardown), or
// a private node of a file's own for tests that stop and start the broker or need TLS.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configText } from '../../src/devkit/pki.js';
import { createVhost, LocalRabbitMQ, type LocalRabbitMQState, type Vhost } from '../../src/devkit/rabbitmq.js';
import { startSim, type RunningSim } from './mco.js';
import type { Scratch } from './scratch.js';

export { LocalRabbitMQ, startRabbitMQ, createVhost, rabbitmqctl, socketLimit, type Vhost } from '../../src/devkit/rabbitmq.js';

/** In the run's TMPDIR (test/helpers/temp-guard.ts), which every worker shares: a lock, then the node's state. */
const sharedDir = () => join(tmpdir(), 'shared-rabbitmq');
const STATE = 'state.json';
const FAILED = 'failed.txt';

let shared: Promise<LocalRabbitMQ> | undefined;

/**
 * The run's private RabbitMQ node. The first worker to ask takes the lock (mkdir is atomic) and starts it; the
 * others wait for its state file. The global teardown (stopSharedRabbitMQ) stops it.
 */
export function sharedRabbitMQ(): Promise<LocalRabbitMQ> {
  shared ??= (async () => {
    const dir = sharedDir();
    try {
      mkdirSync(dir);
    } catch {
      return waitForShared(dir);
    }
    try {
      const node = await new LocalRabbitMQ().start();
      writeFileSync(join(dir, `${STATE}.tmp`), JSON.stringify(node.state));
      renameSync(join(dir, `${STATE}.tmp`), join(dir, STATE));
      return node;
    } catch (err) {
      writeFileSync(join(dir, FAILED), (err as Error).message);
      throw err;
    }
  })();
  return shared;
}

async function waitForShared(dir: string): Promise<LocalRabbitMQ> {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if (existsSync(join(dir, STATE))) return LocalRabbitMQ.attach(JSON.parse(readFileSync(join(dir, STATE), 'utf8')) as LocalRabbitMQState);
    if (existsSync(join(dir, FAILED)))
      throw new Error(`the shared RabbitMQ node did not start: ${readFileSync(join(dir, FAILED), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the shared RabbitMQ node did not start within 150 s');
}

/** Global teardown: stops the run's node, if a test started one, and removes its files. */
export async function stopSharedRabbitMQ(): Promise<void> {
  const dir = sharedDir();
  if (!existsSync(dir)) return;
  const state = join(dir, STATE);
  if (existsSync(state)) await LocalRabbitMQ.attach(JSON.parse(readFileSync(state, 'utf8')) as LocalRabbitMQState).destroy();
  rmSync(dir, { recursive: true, force: true });
}

/** A throwaway vhost on the run's private RabbitMQ node. */
export async function testVhost(prefix = 'troupe-test'): Promise<Vhost> {
  return createVhost({ prefix, node: await sharedRabbitMQ() });
}

/** Writes `<dir>/<name>` selecting the AMQP connector on `url`, plus any extra keys. */
export function writeAmqpConfig(dir: string, name: string, url: string, extra: Record<string, string | number> = {}): string {
  const lines = {
    connector: 'amqp',
    middleware_hosts: url,
    discovery_timeout: 2,
    securityprovider: 'insecure',
    'plugin.actionpolicy.allow_unconfigured': 1,
    ...extra,
  };
  const path = join(dir, name);
  writeFileSync(path, configText(lines));
  return path;
}

/** `mco sim` on the AMQP connector at `url` (`simArgs` say which nodes), its config `server.cfg` written in `scratch`. */
export function startAmqpSim(
  scratch: Scratch,
  url: string,
  simArgs: string[],
  serverKeys: Record<string, string | number> = {},
): Promise<RunningSim> {
  return startSim([...simArgs, '--config', writeAmqpConfig(scratch.dir, 'server.cfg', url, serverKeys)]);
}
